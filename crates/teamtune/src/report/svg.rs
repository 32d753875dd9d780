//! The SVG pieces every chart of the report is drawn with: a plot area with linear axes on
//! round ticks, escaped text, the fill patterns that tell series apart without colour, and
//! the HTML legend under a chart. Text that could run long (legends, labels) is HTML, which
//! wraps at any width; the SVG keeps to short tick labels, so nothing is cut off.

use std::fmt::Write;

/// Chart width in SVG user units; the page scales it to the column (max 960 px).
pub const WIDTH: f64 = 880.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 24.0;
/// Width of one character of 12-unit text, generously: for wrapping text in SVG.
pub const CHAR_WIDTH: f64 = 7.2;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// Text made safe for HTML and SVG.
pub fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Dash patterns for lines, in series order (solid first).
pub const DASHES: [&str; 5] = ["", "8 4", "2 3", "10 3 2 3", "4 6"];
/// Marker shapes for points, in series order.
pub const MARKERS: [Marker; 4] = [
    Marker::Circle,
    Marker::Square,
    Marker::Triangle,
    Marker::Cross,
];

#[derive(Debug, Clone, Copy)]
pub enum Marker {
    Circle,
    Square,
    Triangle,
    Cross,
}

/// Shared `<defs>`: hatch patterns, referenced as `url(#hatch)` and `url(#dots)`.
pub const PATTERNS: &str = r##"<svg width="0" height="0" aria-hidden="true" style="position:absolute"><defs>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#222" stroke-width="2"/></pattern>
<pattern id="dots" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1.2" fill="#222"/></pattern>
</defs></svg>"##;

/// A plot area mapping data to SVG coordinates, with an open `<svg>` being written.
pub struct Plot {
    pub out: String,
    height: f64,
    x: (f64, f64),
    y: (f64, f64),
    x_step: f64,
    y_step: f64,
}

impl Plot {
    /// A plot of `height` units over the data ranges `x` and `y` (widened when empty, and
    /// out to round ticks: at most `ticks` steps of 1, 2 or 5 times a power of ten).
    pub fn new(title: &str, height: f64, x: (f64, f64), y: (f64, f64), ticks: usize) -> Plot {
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
            esc(title)
        );
        let (x, x_step) = round_range(x, ticks);
        let (y, y_step) = round_range(y, ticks);
        Plot {
            out,
            height,
            x,
            y,
            x_step,
            y_step,
        }
    }

    /// The x range, out to round ticks.
    pub fn x_range(&self) -> (f64, f64) {
        self.x
    }

    /// The y range, out to round ticks.
    pub fn y_range(&self) -> (f64, f64) {
        self.y
    }

    pub fn sx(&self, v: f64) -> f64 {
        LEFT + (v - self.x.0) / (self.x.1 - self.x.0) * (WIDTH - LEFT - RIGHT)
    }

    pub fn sy(&self, v: f64) -> f64 {
        self.height - BOTTOM - (v - self.y.0) / (self.y.1 - self.y.0) * (self.height - TOP - BOTTOM)
    }

    /// Axes with a tick on every step, and their titles; `fmt` writes the y ticks.
    pub fn axes(&mut self, x_title: &str, y_title: &str, fmt: fn(f64) -> String) {
        let (x0, x1, y0, y1) = (
            self.sx(self.x.0),
            self.sx(self.x.1),
            self.sy(self.y.0),
            self.sy(self.y.1),
        );
        let mut s = format!(
            r##"<g class="axes" font-size="12"><line x1="{x0:.1}" y1="{y0:.1}" x2="{x1:.1}" y2="{y0:.1}" stroke="#222"/><line x1="{x0:.1}" y1="{y0:.1}" x2="{x0:.1}" y2="{y1:.1}" stroke="#222"/>"##
        );
        for xv in steps(self.x, self.x_step) {
            let px = self.sx(xv);
            let _ = write!(
                s,
                r##"<line x1="{px:.1}" y1="{y0:.1}" x2="{px:.1}" y2="{:.1}" stroke="#222"/><text x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                y0 + 4.0,
                y0 + 17.0,
                esc(&fmt_tick(xv)),
            );
        }
        for yv in steps(self.y, self.y_step) {
            let py = self.sy(yv);
            let _ = write!(
                s,
                r##"<line x1="{x0:.1}" y1="{py:.1}" x2="{x1:.1}" y2="{py:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                x0 - 6.0,
                py + 4.0,
                esc(&fmt(yv))
            );
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">{}</text></g>"#,
            (x0 + x1) / 2.0,
            self.height - 6.0,
            esc(x_title),
            (y0 + y1) / 2.0,
            esc(y_title)
        );
        self.out.push_str(&s);
    }

    /// A polyline through `points` (data coordinates) with dash pattern `dash`.
    pub fn line(&mut self, points: &[(f64, f64)], dash: &str, class: &str) {
        let pts: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", self.sx(x), self.sy(y)))
            .collect();
        let _ = write!(
            self.out,
            r##"<polyline class="{class}" points="{}" fill="none" stroke="#111" stroke-width="2" stroke-dasharray="{dash}"/>"##,
            pts.join(" ")
        );
    }

    /// A marker at a data point.
    pub fn marker(&mut self, x: f64, y: f64, marker: Marker, class: &str) {
        let (px, py) = (self.sx(x), self.sy(y));
        marker_at(&mut self.out, px, py, marker, class);
    }

    pub fn text(&mut self, x: f64, y: f64, anchor: &str, text: &str) {
        let _ = write!(
            self.out,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="12">{}</text>"#,
            esc(text)
        );
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// A marker at SVG coordinates.
pub fn marker_at(out: &mut String, px: f64, py: f64, marker: Marker, class: &str) {
    let _ = match marker {
        Marker::Circle => write!(
            out,
            r##"<circle class="{class}" cx="{px:.1}" cy="{py:.1}" r="4" fill="#fff" stroke="#111" stroke-width="1.5"/>"##
        ),
        Marker::Square => write!(
            out,
            r##"<rect class="{class}" x="{:.1}" y="{:.1}" width="8" height="8" fill="#111"/>"##,
            px - 4.0,
            py - 4.0
        ),
        Marker::Triangle => write!(
            out,
            r##"<polygon class="{class}" points="{px:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="#fff" stroke="#111" stroke-width="1.5"/>"##,
            py - 5.0,
            px - 5.0,
            py + 4.0,
            px + 5.0,
            py + 4.0
        ),
        Marker::Cross => write!(
            out,
            r##"<path class="{class}" d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="#111" stroke-width="2"/>"##,
            px - 4.0,
            py - 4.0,
            px + 4.0,
            py + 4.0,
            px - 4.0,
            py + 4.0,
            px + 4.0,
            py - 4.0
        ),
    };
}

/// `range` widened when empty and out to multiples of a round step (1, 2 or 5 times a power
/// of ten) giving at most `ticks` steps; with the step.
pub fn round_range((lo, hi): (f64, f64), ticks: usize) -> ((f64, f64), f64) {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    };
    let ticks = ticks.max(1) as f64;
    let power = 10f64.powf(((hi - lo) / ticks).log10().floor());
    // Bounds as whole multiples of `step`, forgiving float error (1 / 0.2 is 5.000...01).
    let bounds = |step: f64| ((lo / step + 1e-9).floor(), (hi / step - 1e-9).ceil());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0, 20.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&step| {
            let (a, b) = bounds(step);
            b - a <= ticks
        })
        .unwrap_or(50.0 * power);
    let (a, b) = bounds(step);
    ((a * step, b * step), step)
}

/// The multiples of `step` from `range.0` to `range.1`.
fn steps((lo, hi): (f64, f64), step: f64) -> impl Iterator<Item = f64> {
    let n = ((hi - lo) / step).round() as usize;
    (0..=n).map(move |i| lo + i as f64 * step)
}

/// How a legend entry is drawn: a marker, a line with a dash pattern, or a hatch fill.
#[derive(Debug, Clone, Copy)]
pub enum Glyph {
    Marker(Marker),
    Line(&'static str),
    LineAndMarker(&'static str, Marker),
    Fill(&'static str),
}

/// An HTML legend: one entry per item, each with its glyph drawn in a small SVG. HTML text
/// wraps, so a long label never runs off the chart.
pub fn legend(items: &[(Glyph, String)]) -> String {
    let mut out = String::from(r#"<figcaption><ul class="legend">"#);
    for (glyph, label) in items {
        let mut g = String::from(
            r#"<svg class="glyph" viewBox="0 0 40 12" width="40" height="12" aria-hidden="true">"#,
        );
        let line = |g: &mut String, dash: &str| {
            let _ = write!(
                g,
                r##"<line x1="2" y1="6" x2="38" y2="6" stroke="#111" stroke-width="2" stroke-dasharray="{dash}"/>"##
            );
        };
        match *glyph {
            Glyph::Marker(m) => marker_at(&mut g, 20.0, 6.0, m, "legend"),
            Glyph::Line(dash) => line(&mut g, dash),
            Glyph::LineAndMarker(dash, m) => {
                line(&mut g, dash);
                marker_at(&mut g, 20.0, 6.0, m, "legend");
            }
            Glyph::Fill(pattern) => {
                let _ = write!(
                    g,
                    r##"<rect x="12" y="1" width="16" height="10" fill="url(#{pattern})" stroke="#111"/>"##
                );
            }
        }
        g.push_str("</svg>");
        let _ = write!(out, "<li>{g} {}</li>", esc(label));
    }
    out.push_str("</ul></figcaption>");
    out
}

/// `text` cut into lines of at most `width` SVG units of 12-unit text, at spaces where it can.
pub fn wrap(text: &str, width: f64) -> Vec<String> {
    let max = ((width / CHAR_WIDTH).floor() as usize).max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        while word.chars().count() > max {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(max).collect();
            word = word.chars().skip(max).collect();
            lines.push(head);
        }
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A tick label: whole numbers without decimals, others with up to two.
pub fn fmt_tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The smallest and largest of `values`, `(0, 1)` when there are none.
pub fn range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc: Option<(f64, f64)>, v| {
            Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        })
        .unwrap_or((0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_widen_to_round_ticks() {
        assert_eq!(round_range((0.0, 145.6), 5), ((0.0, 150.0), 50.0));
        assert_eq!(round_range((0.0, 1.0), 5), ((0.0, 1.0), 0.2));
        assert_eq!(round_range((1.0, 50.0), 4), ((0.0, 60.0), 20.0));
        assert_eq!(round_range((-7.09, 78.0), 5), ((-20.0, 80.0), 20.0));
        let ((lo, hi), step) = round_range((3.0, 3.0), 4);
        assert!(lo <= 2.0 && hi >= 4.0 && step > 0.0);
        assert_eq!(steps((0.0, 1.0), 0.2).count(), 6);
    }

    #[test]
    fn long_text_wraps_within_the_width() {
        let text = "Joint change found by the team's twin: formation sequential -> consensus, tool budgets 20 -> none (seconds_per_success predicted 67% better)";
        let lines = wrap(text, 300.0);
        assert!(lines.len() > 1);
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() as f64 * CHAR_WIDTH <= 300.0)
        );
        assert_eq!(lines.join(" "), text);
        assert_eq!(wrap("", 100.0), vec![String::new()]);
        assert!(wrap(&"x".repeat(100), 100.0).iter().all(|l| l.len() <= 13));
    }
}
