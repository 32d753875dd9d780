//! `teamtune report`: the HTML report opened in headless Chromium, which must draw every
//! chart and log no console error.

use std::path::Path;
use std::process::Command;

use crate::{repo_root, stderr, teamtune};

/// Runs recorded, a change applied by an A/B test, rolled back, and run again: every chart
/// of the report has something to draw.
fn team_with_history(dir: &Path) -> String {
    let original =
        std::fs::read_to_string(repo_root().join("examples/sequential-audit.yaml")).unwrap();
    let file = crate::write(dir, "audit.yaml", &original);
    let f = file.to_str().unwrap();
    let ok = |args: &[&str]| {
        let out = teamtune(dir, args);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {}",
            stderr(&out)
        );
    };
    ok(&["run", f, "--runs", "30", "--seed", "1", "--store", "s.db"]);
    ok(&[
        "apply",
        "--team-id",
        "audit_team",
        "--config",
        f,
        "--store",
        "s.db",
        "--auto",
        "--max-changes",
        "1",
        "--json",
    ]);
    ok(&["rollback", "--team-id", "audit_team", "--store", "s.db"]);
    ok(&["run", f, "--runs", "10", "--seed", "7", "--store", "s.db"]);
    f.to_string()
}

/// Records script errors and console errors into the page, then, once loaded, whether each
/// chart drew an SVG with marks in it.
const PROBE: &str = r#"<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message)));
const origError = console.error;
console.error = (...a) => { window.__errors.push(a.join(' ')); origError(...a); };
window.addEventListener('load', () => {
  const drawn = [...document.querySelectorAll('figure[data-chart]')].map(f => {
    const svg = f.querySelector('svg');
    const marks = svg ? svg.querySelectorAll('polyline,circle,rect,polygon,path,line').length : 0;
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return f.dataset.chart + '=' + (marks > 0 && box.width > 200 && box.height > 20 ? 'drawn' : 'missing');
  });
  // Text that runs past its chart's own box is cut off on screen.
  const clipped = [];
  for (const svg of document.querySelectorAll('figure[data-chart] > svg')) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBoundingClientRect();
      if (b.left < box.left - 0.5 || b.top < box.top - 0.5 || b.right > box.right + 0.5 || b.bottom > box.bottom + 0.5) {
        clipped.push(svg.closest('figure').dataset.chart + ': ' + t.textContent);
      }
    }
  }
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = 'errors=' + JSON.stringify(window.__errors) + '\nclipped=' + JSON.stringify(clipped) + '\n' + drawn.join('\n');
  document.body.appendChild(out);
});
</script>"#;

fn chromium() -> String {
    for name in ["chromium", "chromium-browser"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return name.to_string();
        }
    }
    panic!(
        "the report test needs Chromium (Debian's `chromium` package; .ci/run installs it): \
         apt-get install chromium"
    );
}

#[test]
fn the_report_draws_every_chart_in_chromium_without_console_errors() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let f = team_with_history(dir.path());
    let out = teamtune(
        dir.path(),
        &[
            "report",
            "--team-id",
            "audit_team",
            "--store",
            "s.db",
            "--config",
            &f,
            "--output",
            "report.html",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "loads nothing"
    );
    assert!(
        !html.contains("<script"),
        "the report itself runs no script"
    );
    let probed = html.replacen("<head>", &format!("<head>{PROBE}"), 1);
    let page = crate::write(dir.path(), "probed.html", &probed);
    // A laptop and a narrow window.
    for size in ["1280,900", "480,900"] {
        let out = Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                &format!("--window-size={size}"),
                "--virtual-time-budget=3000",
                "--dump-dom",
            ])
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("chromium runs");
        let dom = String::from_utf8_lossy(&out.stdout);
        let probe = dom
            .split("<pre id=\"probe\">")
            .nth(1)
            .and_then(|rest| rest.split("</pre>").next())
            .unwrap_or_else(|| panic!("the probe ran: {}", String::from_utf8_lossy(&out.stderr)));
        assert!(probe.starts_with("errors=[]"), "console errors: {probe}");
        assert!(
            probe.contains("\nclipped=[]\n"),
            "text cut off at {size}: {probe}"
        );
        for chart in teamtune::REPORT_CHARTS {
            assert!(
                probe.contains(&format!("{chart}=drawn")),
                "{chart} not drawn at {size}:\n{probe}"
            );
        }
    }
}

#[test]
fn a_report_of_a_team_without_runs_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = teamtune(
        dir.path(),
        &[
            "report",
            "--team-id",
            "nobody",
            "--store",
            "s.db",
            "--output",
            "r.html",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no store"), "{}", stderr(&out));
    assert!(!dir.path().join("r.html").exists());
}
