//! Victor's template spellings, `${key}` and `$ctx.key`, rewritten to minijinja's `{{ key }}`
//! at load time so the engine has one template language.

pub fn normalize_template(s: &str) -> String {
    if !s.contains('$') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            if bytes.get(i + 1) == Some(&b'{') {
                if let Some(end) = s[i + 2..].find('}') {
                    let key = s[i + 2..i + 2 + end].trim();
                    if is_path(key) {
                        out.push_str("{{ ");
                        out.push_str(key);
                        out.push_str(" }}");
                        i += end + 3;
                        continue;
                    }
                }
            } else if s[i + 1..].starts_with("ctx.") {
                let start = i + 5;
                let len = s[start..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                    .unwrap_or(s.len() - start);
                let key = s[start..start + len].trim_end_matches('.');
                if !key.is_empty() {
                    out.push_str("{{ ");
                    out.push_str(key);
                    out.push_str(" }}");
                    i = start + key.len();
                    continue;
                }
            }
        }
        let ch = s[i..].chars().next().unwrap_or('$');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn is_path(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::normalize_template;

    #[test]
    fn victor_forms_become_minijinja() {
        assert_eq!(normalize_template("Review ${file}"), "Review {{ file }}");
        assert_eq!(
            normalize_template("use $ctx.topic.name now"),
            "use {{ topic.name }} now"
        );
        assert_eq!(normalize_template("{{ x }} costs $5"), "{{ x }} costs $5");
        assert_eq!(normalize_template("é${a}é"), "é{{ a }}é");
    }
}
