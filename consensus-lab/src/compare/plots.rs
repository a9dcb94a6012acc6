//! The report's plots, drawn with `plotters` into SVG files.
//!
//! SVG because it needs no fonts at build or run time: plotters' SVG backend writes text as
//! `<text>` elements (the viewer renders them) and, built without its `ttf` feature, lays text
//! out with a built-in size estimate. The bitmap backend would need a font file and FreeType or
//! fontconfig to rasterise labels.

use std::path::Path;

use plotters::prelude::*;

/// One line (or, with `points`, a set of markers) on a plot.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// (x, y) points in x order.
    pub points: Vec<(f64, f64)>,
    /// Markers only (simulated points) instead of a line (closed forms, measured curves).
    pub markers: bool,
}

/// Draw `series` into the SVG file `path` (720 × 450) with a title and axis labels; the axes
/// span the data with 5 % headroom.
///
/// # Errors
/// A message naming the file when plotters cannot write it.
pub fn line_plot(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let all = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let pad = |a: f64, b: f64| ((b - a).abs() * 0.05).max(1e-9);
    let (px, py) = (pad(x0, x1), pad(y0, y1));
    let y_low = if y0 >= 0.0 && y0 - py < 0.0 { 0.0 } else { y0 - py };
    let root = SVGBackend::new(path, (720, 450)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d((x0 - px)..(x1 + px), y_low..(y1 + py))
        .map_err(|e| fail(&e))?;
    chart.configure_mesh().x_desc(x_label).y_desc(y_label).draw().map_err(|e| fail(&e))?;
    for (i, s) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        if s.markers {
            chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(|e| fail(&e))?
                .label(s.label.clone())
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
        } else {
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), color.stroke_width(2)))
                .map_err(|e| fail(&e))?
                .label(s.label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plot_is_an_svg_with_its_title_axes_and_legend() {
        let dir = std::env::temp_dir().join(format!("quarry-lab-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.svg");
        let series = [
            Series { label: "line a".into(), points: vec![(1.0, 2.0), (2.0, 3.0)], markers: false },
            Series { label: "dots b".into(), points: vec![(1.5, 2.5)], markers: true },
        ];
        line_plot(&path, "a title", "x axis", "y axis", &series).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        for text in ["a title", "x axis", "y axis", "line a", "dots b", "<circle", "<polyline"] {
            assert!(svg.contains(text), "{text} missing");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
