//! The SVG pieces every chart of the report is drawn with: a plot area with linear axes,
//! escaped text, and the fill patterns that tell series apart without colour.

use std::fmt::Write;

/// Chart width in SVG user units; the page scales it to the column (max 960 px).
pub const WIDTH: f64 = 880.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 190.0;
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
}

impl Plot {
    /// A plot of `height` units over the data ranges `x` and `y` (widened when empty).
    pub fn new(title: &str, height: f64, x: (f64, f64), y: (f64, f64)) -> Plot {
        let widen = |(lo, hi): (f64, f64)| {
            if hi > lo {
                (lo, hi)
            } else {
                (lo - 1.0, hi + 1.0)
            }
        };
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
            esc(title)
        );
        Plot {
            out,
            height,
            x: widen(x),
            y: widen(y),
        }
    }

    pub fn sx(&self, v: f64) -> f64 {
        LEFT + (v - self.x.0) / (self.x.1 - self.x.0) * (WIDTH - LEFT - RIGHT)
    }

    pub fn sy(&self, v: f64) -> f64 {
        self.height - BOTTOM - (v - self.y.0) / (self.y.1 - self.y.0) * (self.height - TOP - BOTTOM)
    }

    /// The right edge of the plot area, where series labels start.
    pub fn label_x(&self) -> f64 {
        WIDTH - RIGHT + 8.0
    }

    /// Axes with `ticks` ticks each, and their titles.
    pub fn axes(&mut self, x_title: &str, y_title: &str, ticks: usize, fmt: fn(f64) -> String) {
        let (x0, x1, y0, y1) = (
            self.sx(self.x.0),
            self.sx(self.x.1),
            self.sy(self.y.0),
            self.sy(self.y.1),
        );
        let mut s = format!(
            r##"<g class="axes" font-size="12"><line x1="{x0:.1}" y1="{y0:.1}" x2="{x1:.1}" y2="{y0:.1}" stroke="#222"/><line x1="{x0:.1}" y1="{y0:.1}" x2="{x0:.1}" y2="{y1:.1}" stroke="#222"/>"##
        );
        for i in 0..=ticks {
            let f = i as f64 / ticks as f64;
            let xv = self.x.0 + f * (self.x.1 - self.x.0);
            let yv = self.y.0 + f * (self.y.1 - self.y.0);
            let (px, py) = (self.sx(xv), self.sy(yv));
            let _ = write!(
                s,
                r##"<line x1="{px:.1}" y1="{y0:.1}" x2="{px:.1}" y2="{:.1}" stroke="#222"/><text x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text><line x1="{x0:.1}" y1="{py:.1}" x2="{x1:.1}" y2="{py:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                y0 + 4.0,
                y0 + 17.0,
                esc(&fmt_tick(xv)),
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
