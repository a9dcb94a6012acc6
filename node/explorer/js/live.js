// Redrawing a page as heads arrive.

/**
 * A function that runs `draw()` (async) and shows its error with `onError(error)`; calls made
 * while a draw runs are folded into one more draw after it, so a burst of new heads (three
 * nodes announcing the same block) costs at most two draws and draws never overlap. Returns a
 * promise of the draw it started (or of nothing when it only queued one).
 */
export function coalesced(draw, onError) {
  let busy = false;
  let again = false;
  const run = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      await draw();
    } catch (e) {
      onError(e);
    }
    busy = false;
    if (again) {
      again = false;
      run();
    }
  };
  return run;
}
