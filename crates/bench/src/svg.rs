//! The ratio chart: a horizontal bar per row (winhv time / raw-KVM time)
//! with the 1.0 line, as a small self-contained SVG.
//!
//! Written by hand rather than with plotters: the chart is a few rectangles
//! and labels, and plotters' text rendering pulls in font handling; plain
//! `<text>` elements let the viewer's fonts do it.

use crate::render::json_string;
use crate::row::Row;

const WIDTH: f64 = 900.0;
const LABEL_WIDTH: f64 = 330.0;
const RIGHT_MARGIN: f64 = 90.0;
const BAR_HEIGHT: f64 = 18.0;
const ROW_HEIGHT: f64 = 26.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 50.0;

/// The rows' ratios as an SVG bar chart with a line at 1.0. Bars are green
/// up to 1.05×, amber up to 1.5×, red above; ratios beyond the axis are
/// clipped and labelled with their value; skipped rows say so.
pub fn render_svg(rows: &[Row]) -> String {
    let largest = rows.iter().filter_map(|r| r.ratio).fold(1.0, f64::max);
    let axis_max = (largest * 1.1).clamp(2.0, 5.0).ceil();
    let plot_width = WIDTH - LABEL_WIDTH - RIGHT_MARGIN;
    let x = |ratio: f64| LABEL_WIDTH + plot_width * (ratio.min(axis_max) / axis_max);
    let height = TOP + BOTTOM + ROW_HEIGHT * rows.len() as f64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    );
    out.push_str(&format!(
        "<rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height}\" fill=\"white\"/>\n"
    ));
    out.push_str(&format!(
        "<text x=\"{}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">winhv time / raw KVM time (lower is better; 1.0 = no overhead)</text>\n",
        10.0
    ));
    out.push_str(
        "<text x=\"10\" y=\"40\" fill=\"#555\">green: &#8804;1.05x, amber: &#8804;1.5x, red: above</text>\n",
    );
    // Grid and axis labels every 0.5.
    let axis_y = TOP + ROW_HEIGHT * rows.len() as f64;
    let mut tick = 0.0;
    while tick <= axis_max + 1e-9 {
        let tx = x(tick);
        out.push_str(&format!(
            "<line x1=\"{tx:.1}\" y1=\"{TOP}\" x2=\"{tx:.1}\" y2=\"{axis_y}\" stroke=\"#ddd\"/>\n\
             <text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{tick:.1}</text>\n",
            axis_y + 16.0
        ));
        tick += 0.5;
    }
    for (i, row) in rows.iter().enumerate() {
        let y = TOP + ROW_HEIGHT * i as f64;
        let label = escape(&row.name);
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>\n",
            LABEL_WIDTH - 8.0,
            y + BAR_HEIGHT - 5.0
        ));
        match row.ratio {
            Some(ratio) => {
                let color = if ratio <= 1.05 {
                    "#3a9d5d"
                } else if ratio <= 1.5 {
                    "#e0a030"
                } else {
                    "#d04040"
                };
                let w = (x(ratio) - LABEL_WIDTH).max(1.0);
                let clipped = if ratio > axis_max { " \u{2192}" } else { "" };
                out.push_str(&format!(
                    "<rect x=\"{LABEL_WIDTH}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{BAR_HEIGHT}\" fill=\"{color}\"/>\n\
                     <text x=\"{:.1}\" y=\"{:.1}\">{ratio:.2}x{clipped}</text>\n",
                    LABEL_WIDTH + w + 4.0,
                    y + BAR_HEIGHT - 5.0
                ));
            }
            None => out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#888\">skipped</text>\n",
                LABEL_WIDTH + 4.0,
                y + BAR_HEIGHT - 5.0
            )),
        }
    }
    let one = x(1.0);
    out.push_str(&format!(
        "<line x1=\"{one:.1}\" y1=\"{:.1}\" x2=\"{one:.1}\" y2=\"{axis_y}\" stroke=\"black\" stroke-width=\"2\" stroke-dasharray=\"6,3\"/>\n\
         <text x=\"{one:.1}\" y=\"{:.1}\" text-anchor=\"middle\">1.0</text>\n",
        TOP - 6.0,
        TOP - 10.0
    ));
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">ratio (median ns per operation, winhv / raw KVM)</text>\n",
        LABEL_WIDTH + plot_width / 2.0,
        axis_y + 36.0
    ));
    out.push_str("</svg>\n");
    out
}

/// `s` escaped for XML text.
fn escape(s: &str) -> String {
    // json_string escapes control characters; strip its quotes and then
    // escape XML's own specials.
    let quoted = json_string(s);
    quoted[1..quoted.len() - 1]
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_xml_specials() {
        assert_eq!(escape("a<b>&c"), "a&lt;b&gt;&amp;c");
    }
}
