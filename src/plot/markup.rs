//! Label markup: `_{…}` and `^{…}` as SVG subscripts and superscripts.

/// Expand the label markup `_{…}` (subscript) and `^{…}` (superscript) in the text of an SVG
/// into `tspan`s with a baseline shift and a 70% font size. Text without markup is unchanged.
pub fn markup_to_svg(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    loop {
        let next = [rest.find("_{"), rest.find("^{")]
            .into_iter()
            .flatten()
            .min();
        let Some(i) = next else {
            out.push_str(rest);
            return out;
        };
        let Some(close) = rest[i + 2..].find('}') else {
            out.push_str(rest);
            return out;
        };
        let shift = if rest.as_bytes()[i] == b'_' {
            "sub"
        } else {
            "super"
        };
        out.push_str(&rest[..i]);
        out.push_str(&format!(
            "<tspan baseline-shift=\"{shift}\" font-size=\"70%\">{}</tspan>",
            &rest[i + 2..i + 2 + close]
        ));
        rest = &rest[i + 3 + close..];
    }
}
