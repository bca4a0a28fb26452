"""The HTML report: honest verdict and scope, scores per control and framework, what to do first, the
waiver register, pictures, and every value from the account shown as text, never markup.

The unit tests render the page from result logs built here (hostile values in every field). The
browser tests open real reports in headless Chromium and read back the DOM after the page's script
ran: filters, links, layout at 1024 px, and the page count of the demo printed to PDF.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from iam_compliance import frameworks
from iam_compliance.controls import CheckFacts, Reference
from iam_compliance.frameworks import Requirement
from iam_compliance.model.iam import Snapshot
from iam_compliance.rendering import html, overview, scores, svg
from iam_compliance.results.drift import Drift
from iam_compliance.results.log import ControlSummary, ResultLog
from iam_compliance.results.record import ItemRecord
from iam_compliance.results.scope import RunScope, RunStatus, SettingInForce
from iam_compliance.results.waivers import Waiver, waiver_statuses
from tests_selftest.harness import run_pytest

# Each payload, if it ever ran, would leave the marker XSSRAN behind (in the title or as an <xssran>
# element); the marker itself appears in no payload, so finding it proves execution. No double
# quotes or backslashes: the evidence is shown as JSON, which would escape them.
SCRIPT = "<script>document.title='XSS'+'RAN'</script>"
IMG = "<img src=x onerror=document.body.appendChild(document.createElement('xss'+'ran'))>"
SVG = "</pre></td><svg onload=document.title='XSS'+'RAN'></svg><!--"
BREAKOUT = "'><u onmouseover=document.title='XSS'+'RAN'>x</u>"
PAYLOADS = [SCRIPT, IMG, SVG, BREAKOUT]
EXECUTED = "xssran"
ACCOUNT = "123456789012"


class TextAndMarkup(HTMLParser):
    """The page's text (entities decoded), its visible text, its tags (counted) and event-handler attributes."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.visible: list[str] = []
        self.tags: dict[str, int] = {}
        self.handlers: set[str] = set()
        self.urls: list[str] = []
        self.hidden: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.handlers |= {name for name, _ in attrs if name.startswith("on")}
        self.urls += [value or "" for name, value in attrs if name in ("src", "href", "action", "xlink:href", "data")]
        if tag not in self.VOID:
            hidden = any(name == "hidden" for name, _ in attrs)
            self.hidden.append(hidden or (bool(self.hidden) and self.hidden[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.hidden:
            self.hidden.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if not (self.hidden and self.hidden[-1]):
            self.visible.append(data)

    @property
    def words(self) -> str:
        """The text with its whitespace normalised, as a reader sees it (no space before punctuation)."""
        return re.sub(r" ([).,:;])|(\() ", r"\1\2", " ".join(" ".join(self.text).split()))


def parse(markup: str) -> TextAndMarkup:
    parser = TextAndMarkup()
    parser.feed(markup)
    parser.close()
    return parser


def assert_text_only(markup: str, *values: str, scripts: int = 0, svgs: int = 0) -> TextAndMarkup:
    """The values appear in the text exactly as written, and none of their markup became elements:
    only the page's own script and charts exist, and no element has an event handler."""
    page = parse(markup)
    text = "".join(page.text)
    for value in values:
        assert value in text, f"{value!r} is not in the text"
    assert page.tags.get("script", 0) == scripts and page.tags.get("svg", 0) == svgs, page.tags
    assert not {"img", "u", EXECUTED} & set(page.tags), f"markup leaked: {page.tags}"
    assert not page.handlers
    return page


# --- Building pages -------------------------------------------------------------------------------


def snapshot(caller: str = "arn:aws:sts::123456789012:assumed-role/audit/me", demo: bool = False,
             failed_source: tuple[str, str] | None = None) -> Snapshot:
    sources: dict = {"account_summary": {"status": "ok", "data": {}}}
    if failed_source:
        sources["credential_report"] = {"status": "error", "error": {"code": failed_source[0], "message": failed_source[1]}}
    doc = {"account_id": ACCOUNT, "partition": "aws", "caller_arn": caller, "collected_at": "2026-06-01T00:00:00+00:00",
           "sources": sources, **({"demo": True} if demo else {})}
    return Snapshot(doc, path="reports/snapshot.json", sha256="0" * 64)


def item(check_id: str, entity: str, outcome: str, severity: str = "high", **fields) -> ItemRecord:
    values = {"title": f"Requirement of {check_id}.", "resource": f"arn:aws:iam::{ACCOUNT}:user/{entity}"} | fields
    if outcome in ("failed", "waived"):
        values.setdefault("finding", f"User {entity} fails {check_id}.")
        values.setdefault("remediation", f"aws iam fix --user-name {entity}")
        values.setdefault("message", values["finding"])
    elif outcome in ("error", "skipped"):
        values.setdefault("message", f"{'Not applicable: ' if outcome == 'skipped' else ''}reason for {entity}")
    return ItemRecord(nodeid=f"checks/test_x.py::test_{check_id}[{entity}]", check_id=check_id, severity=severity,
                      outcome=outcome, **values)


def log_of(*items: ItemRecord) -> ResultLog:
    results = ResultLog()
    for record in items:
        results.items[record.nodeid] = record
    return results


def scope_of(results: ResultLog, total: int | None = None, **fields) -> RunScope:
    checks = tuple(sorted({i.check_id for i in results.items.values()}))
    return RunScope(checks, total if total is not None else len(checks), **fields)


def page_of(results: ResultLog, tmp_path: Path, *, scope: RunScope | None = None, status: RunStatus = RunStatus.COMPLETE,
            snap: Snapshot | None = None, **fields) -> str:
    """The whole report as written to disk."""
    report = overview.ReportInput(results=results, snapshot=snap or snapshot(), status=status,
                                  scope=scope or scope_of(results), catalogue=fields.pop("catalogue", []), version="9.9",
                                  generated_at="2026-06-01T01:00:00+00:00", **fields)
    path = tmp_path / "report" / "compliance.html"
    html.write_report(path, report)
    return path.read_text(encoding="utf-8")


def charts_in(page: str) -> int:
    return page.count('<svg class="chart"')


def banner(page: str) -> str:
    return parse(page.split('role="status">', 1)[1].split('<div class="scoreline">', 1)[0]).words


# --- Escaping -------------------------------------------------------------------------------------


def hostile_item(outcome: str = "failed") -> ItemRecord:
    return ItemRecord(
        nodeid=f"checks/test_x.py::test_x[{BREAKOUT}]", check_id=SCRIPT, severity="high", resource=SVG, title=IMG,
        headline=BREAKOUT, region=IMG, references=(Reference("cis-v5.0", IMG),), outcome=outcome,
        finding=f"{SCRIPT} is wrong", message=f"{SCRIPT} is wrong\nWaived: {IMG}" if outcome == "waived" else
        f"Traceback\nE   KeyError: {IMG}" if outcome == "error" else f"{SCRIPT} is wrong",
        remediation=SCRIPT, evidence={"tag": IMG, "sid": SVG})


def test_item_rows_show_hostile_values_as_text():
    results = log_of(*(hostile_item(o) for o in ("failed",)),
                     ItemRecord("n2", SCRIPT, "high", SVG, title=IMG, outcome="passed"),
                     ItemRecord("n3", SCRIPT, "high", SVG, title=IMG, outcome="skipped", message=f"Not applicable: {IMG}"))
    rows = "".join(html.item_table_rows(results, results.controls(), None))
    page = assert_text_only(rows, SCRIPT, SVG, BREAKOUT, f"{SCRIPT} is wrong", IMG)
    assert "Evidence" in page.words and "1 passed" in page.words and "1 not applicable" in page.words


@pytest.mark.parametrize("outcome", ["waived", "error"])
def test_waived_and_error_rows_keep_their_message_as_text(outcome):
    results = log_of(hostile_item(outcome))
    rows = "".join(html.item_table_rows(results, results.controls(), None))
    page = assert_text_only(rows, IMG)
    assert ("Waived" if outcome == "waived" else "Error") in page.words
    if outcome == "error":
        assert f"KeyError: {IMG}" in "".join(page.text)  # the exception line is the row's sentence


def test_whole_page_shows_hostile_values_as_text(tmp_path):
    results = log_of(hostile_item("failed"), item(SCRIPT, "bob", "passed", resource=SVG, title=IMG))
    today = date(2026, 6, 1)
    waivers = [Waiver(SCRIPT, SVG, IMG, BREAKOUT, today + timedelta(days=30), f"{SCRIPT}:3")]
    records = [{"check_id": i.check_id, "resource": i.resource, "variant": i.variant, "outcome": i.outcome,
                "entity": i.entity} for i in results.items.values()]
    drift = Drift(baseline=IMG, baseline_collected_at="2026-05-01T00:00:00+00:00", new=(f"{SCRIPT}:{SVG}",), known=(),
                  resolved=(f"{SCRIPT}:{IMG}",), unverified=(), severities={f"{SCRIPT}:{SVG}": "high"})
    scope = scope_of(results, 53, selection=f"-k {BREAKOUT}", regions=(IMG,), options={SCRIPT: SVG},
                     settings=(SettingInForce(IMG, SVG, BREAKOUT),))
    page = page_of(results, tmp_path, scope=scope, snap=snapshot(caller=IMG, failed_source=(SCRIPT, SVG)),
                   waivers=waiver_statuses(waivers, records, today), waivers_file=BREAKOUT, drift=drift)
    parsed = assert_text_only(page, SCRIPT, SVG, BREAKOUT, IMG, f"{SCRIPT} is wrong", scripts=1, svgs=charts_in(page))
    assert charts_in(page) == 4  # severity, controls, frameworks (the CIS reference), drift
    assert "Data that could not be read: 1 source" in parsed.words


def test_charts_state_their_numbers_in_words_and_escape_labels():
    chart = svg.bar_chart(f"Findings {SCRIPT}", [svg.Part("High", 28, "high"), svg.Part(IMG, 3, "critical")])
    page = parse(chart)
    assert page.tags == {"svg": 1, "title": 1, "defs": 1, "pattern": 1, "rect": 4, "line": 1, "text": 4}
    assert 'role="img"' in chart and f"High: 28, {IMG}: 3" in "".join(page.text)
    assert "28" in page.text and "3" in page.text  # the numbers are text beside the bars
    stacked = parse(svg.stacked_bar("Controls", [svg.Part("Failing", 49, "failing"), svg.Part("Clean", 3, "clean")]))
    assert "Failing: 49" in stacked.text and "Clean: 3" in stacked.text


# --- Verdict, scope, status -----------------------------------------------------------------------


def test_a_partial_run_says_so_in_the_banner_and_is_never_compliant(tmp_path):
    results = log_of(item("root_mfa_enabled", "root", "passed", severity="critical"))
    page = page_of(results, tmp_path, scope=scope_of(results, 53, selection="-m critical", regions=("eu-west-1",)))
    text = banner(page)
    assert "Compliant" not in text.replace("No findings in a partial audit", "")
    assert "No findings in a partial audit" in text
    assert "Partial audit: 1 of 53 controls (selected by -m critical); regions eu-west-1." in text
    assert "52 controls not in this run" not in parse(page).words  # the catalogue was not given here


def test_a_run_that_evaluated_nothing_is_never_compliant(tmp_path):
    results = log_of(item("user_mfa", "svc", "skipped"))
    text = banner(page_of(results, tmp_path, scope=scope_of(results, 53)))
    assert text.startswith("Nothing evaluated") and "Compliant" not in text


@pytest.mark.parametrize(("status", "title"), [(RunStatus.INTERRUPTED, "Incomplete: interrupted"),
                                                (RunStatus.INTERNAL_ERROR, "Incomplete: internal error")])
def test_runs_that_did_not_finish_say_incomplete(tmp_path, status, title):
    results = log_of(item("user_mfa", "bob", "passed"))
    page = page_of(results, tmp_path, status=status)
    assert banner(page).startswith(title) and 'class="verdict verdict-incomplete"' in page
    assert "the run did not finish, so these results are not a verdict" in parse(page).words


def test_the_demo_is_labelled_simulated_in_title_and_banner(tmp_path):
    results = log_of(item("user_mfa", "bob", "failed"))
    page = page_of(results, tmp_path, scope=scope_of(results, simulated=True))
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("Simulated demo account: IAM compliance report: account 123456789012")
    assert banner(page).startswith("Simulated Not compliant: 1 finding")
    assert "Simulated account." in parse(page).words
    real = page_of(results, tmp_path, scope=scope_of(results))
    assert "Simulated" not in real


def test_scope_lists_settings_in_force_and_marks_those_changed(tmp_path):
    results = log_of(item("password_policy_min_length", ACCOUNT, "passed"))
    settings = (SettingInForce("password_policy.min_length", 8, 14), SettingInForce("users.inactivity_days", 90, 90),
                SettingInForce("admins.approved", ["role/a", "role/b"], []))
    words = parse(page_of(results, tmp_path, scope=scope_of(results, settings=settings))).words
    assert "2 settings differ from the suite's defaults" in words
    assert "password_policy.min_length changed 8 14" in words
    assert "users.inactivity_days 90 same" in words
    assert "admins.approved changed role/a, role/b (empty list)" in words


# --- Scores, frameworks, first steps --------------------------------------------------------------


def test_controls_are_counted_by_state(tmp_path):
    results = log_of(item("a_failing", "u1", "failed"), item("a_failing", "u2", "passed"),
                     item("b_erroring", "u1", "error"), item("c_clean", "u1", "passed"), item("c_clean", "u2", "waived"),
                     item("d_na", "u1", "skipped"))
    states = {c.check_id: scores.control_state(c) for c in results.controls()}
    assert states == {"a_failing": "failing", "b_erroring": "error", "c_clean": "clean", "d_na": "not-applicable"}
    words = parse(page_of(results, tmp_path)).words
    assert "1 of 4 clean" in words and "1 failing, 1 could not evaluate, 1 not applicable" in words
    assert "Controls by status (4 run). Failing: 1, Could not evaluate: 1, Clean: 1, Not applicable: 1" in words


def test_framework_view_scores_each_requirement(tmp_path, monkeypatch):
    """From whatever the framework table holds: here five entries of CIS v5.0, and a reference with none."""
    table = (
        Requirement("cis-v5.0", "1.4", "Ensure no 'root' user account access key exists"),
        Requirement("cis-v5.0", "1.5", "Ensure MFA is enabled for the 'root' user account"),
        Requirement("cis-v5.0", "1.1", "Maintain current contact details", automated=False,
                    reason="needs the account's contact page, which IAM does not expose"),
        Requirement("cis-v5.0", "1.9", "Old password requirement", retired=True),
        Requirement("cis-v5.0", "1.6", "Ensure hardware MFA is enabled for the 'root' user account"),
    )
    monkeypatch.setattr(frameworks, "REQUIREMENTS", table)
    monkeypatch.setattr(frameworks, "_BY_REFERENCE", {r.reference: r for r in table})
    cis = lambda requirement: (Reference("cis-v5.0", requirement),)  # noqa: E731
    results = log_of(item("root_no_access_keys", "root", "failed", references=cis("1.4")),
                     item("root_mfa_enabled", "root", "passed", references=cis("1.5")),
                     item("root_hardware_mfa", "root", "error", references=cis("1.6")),
                     item("user_mfa", "bob", "passed", references=cis("1.10")),
                     item("user_mfa", "carol", "waived", references=cis("1.10")))
    catalogue = scores.catalogue_of(results.controls()) + [
        scores.CheckFacts("not_selected", "low", "Another check.", cis("1.5"))]
    score = scores.framework_score("cis-v5.0", catalogue, results.controls())
    statuses = {row.id: row.status for row in score.rows}
    assert statuses == {"1.4": "not-met", "1.5": "not-in-scope", "1.1": "not-automated", "1.9": "retired",
                        "1.6": "error", "1.10": "met"}
    assert [row.id for row in score.rows] == ["1.4", "1.5", "1.1", "1.9", "1.6", "1.10"]  # the table's order first
    assert score.sentence == ("CIS v5.0 IAM section: 1 of 5 requirements met (1 not met, 1 could not evaluate, "
                              "1 not in this run, 1 not automated)")
    words = parse(page_of(results, tmp_path, catalogue=catalogue)).words
    assert score.sentence in words
    assert "1.4 Ensure no 'root' user account access key exists Not met root_no_access_keys (failing)" in words
    assert ("1.1 Maintain current contact details Not automated needs the account's contact page, "
            "which IAM does not expose") in words
    assert ("1.10 — Met with accepted risks: waived findings in user_mfa user_mfa (clean)" in words)  # by id alone
    assert "not selected in this run: not_selected" in words


def test_what_to_do_first_lists_every_critical_and_high_control_with_its_headline(tmp_path):
    failing = [item(f"critical_{n}", "u", "failed", severity="critical", headline=f"Critical thing {n} is wrong")
               for n in range(3)]
    failing += [item(f"high_{n}", f"u{m}", "failed", severity="high") for n in range(8) for m in range(2)]
    failing += [item("medium_0", "u", "failed", severity="medium")]
    page = page_of(log_of(*failing), tmp_path)
    first = parse(page.split('<section id="first">', 1)[1].split("</section>", 1)[0]).words
    assert "CRITICAL 3 critical controls" in first.replace("critical 3", "CRITICAL 3")
    assert "high 8 high controls" in first
    assert all(f"high_{n}" in first for n in range(8)) and "medium_0" not in first
    assert "Critical thing 0 is wrong critical_0 Requirement: Requirement of critical_0." in first
    assert "2 findings: u0, u1" in first
    controls = parse(page.split('<section id="controls">', 1)[1].split("</section>", 1)[0]).words
    assert "Critical thing 1 is wrong Requirement: Requirement of critical_1." in controls
    assert 'href="#items-critical_1"' in page and 'id="items-critical_1"' in page  # a control links to its items


def test_outcomes_are_words_in_the_page(tmp_path):
    results = log_of(item("a", "u1", "failed"), item("a", "u2", "error"), item("a", "u3", "waived"),
                     item("a", "u4", "passed"), item("a", "u5", "skipped"))
    items = parse(page_of(results, tmp_path).split('<section id="items">', 1)[1]).words
    for words in ("Finding", "Error", "Waived", "Passed", "Not applicable"):
        assert re.search(rf"\b{words}\b", items), words


def test_waiver_register_lists_every_waiver_with_its_status_and_items(tmp_path):
    today = date(2026, 6, 1)
    results = log_of(item("user_mfa", "break-glass", "waived"), item("user_mfa", "fixed-user", "passed"),
                     item("user_mfa", "old", "failed"))
    arn = f"arn:aws:iam::{ACCOUNT}:user/"
    waivers = [Waiver("user_mfa", arn + "break-glass", "Kept in the safe (SEC-1)", "lead@example.com",
                      today + timedelta(days=90), "waivers.yaml:2"),
               Waiver("user_mfa", arn + "fixed-*", "Legacy", "cto@example.com", today + timedelta(days=9), "waivers.yaml:8"),
               Waiver("user_mfa", arn + "old", "Gone", "cto@example.com", today - timedelta(days=1), "waivers.yaml:14"),
               Waiver("user_mfa", arn + "nobody", "Typo", "cto@example.com", today, "waivers.yaml:20")]
    records = [{"check_id": i.check_id, "resource": i.resource, "variant": i.variant, "outcome": i.outcome,
                "entity": i.entity} for i in results.items.values()]
    statuses = waiver_statuses(waivers, records, today)
    section = parse(page_of(results, tmp_path, waivers=statuses, waivers_file="waivers.yaml")
                    .split('<section id="waivers">', 1)[1].split("</section>", 1)[0]).words
    assert "From waivers.yaml: 4 waivers." in section
    assert ("Applied covers 1 finding(s) user_mfa arn:aws:iam::123456789012:user/break-glass waivers.yaml:2 "
            "Kept in the safe (SEC-1) lead@example.com until 2026-08-30 break-glass: Waived") in section
    assert "Stale the 1 item(s) it matches are compliant now: remove the waiver" in section
    assert "fixed-user: Passed" in section
    assert "Expired expired on 2026-05-31; 1 finding(s) count again" in section and "old: Finding" in section
    assert "Unmatched matched no check item in this run" in section
    no_file = parse(page_of(results, tmp_path)).words
    assert "No waivers file was given (--waivers): no finding is waived." in no_file


def test_passing_items_are_aggregated_per_control(tmp_path):
    passes = [item("user_mfa", f"user-{n:05}", "passed") for n in range(3000)]
    page = page_of(log_of(*passes, item("user_mfa", "bad", "failed")), tmp_path)
    assert page.count('class="item ') == 2  # one finding row, one row for 3,000 passes
    assert "3,000 passed" in page and "user-00399" in page and "user-00400" not in page
    assert "and 2,600 more (findings.json lists every item)" in page


def test_the_page_loads_nothing(tmp_path):
    results = log_of(item("a", "u1", "failed", evidence={"url": "https://example.com/x.png"}), item("b", "u2", "passed"))
    page = page_of(results, tmp_path, drift=Drift("b.json", "2026-05-01", (), (), (), ()))
    parsed = parse(page)
    assert all(url.startswith("#") for url in parsed.urls), parsed.urls
    assert "link" not in parsed.tags and "img" not in parsed.tags and "iframe" not in parsed.tags
    assert "default-src 'none'" in page  # and the browser would refuse any request anyway
    assert not re.search(r"url\((?!#hatch)", page) and "@import" not in page


# --- In a real browser ----------------------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]

# Appended to a copy of a report: works the filters as a reader would and writes what it saw into the page.
PROBE = """<script>
(function () {
  var out = {};
  function visible() {
    return Array.prototype.filter.call(document.querySelectorAll('#item-table tr.item'), function (r) {
      return !r.hidden && !r.closest('tbody').hidden; });
  }
  function change(element) { element.dispatchEvent(new Event('change', {bubbles: true})); }
  out.all = visible().length;
  out.count = document.getElementById('f-count').textContent;
  var sev = document.getElementById('f-sev'); sev.value = 'critical'; change(sev);
  out.critical = visible().map(function (r) { return r.dataset.sev; });
  sev.value = ''; change(sev);
  document.querySelector('#filters input[value=passed]').checked = false;
  change(document.querySelector('#filters input[value=passed]'));
  out.no_passed = visible().map(function (r) { return r.dataset.outcome; });
  var text = document.getElementById('f-text'); text.value = 'SVC-METRICS'; change(text);
  out.text = visible().map(function (r) { return r.textContent; });
  text.value = ''; change(text);
  out.hash_check = document.getElementById('f-check').value;
  out.width = [document.documentElement.scrollWidth, window.innerWidth];
  out.clipped = Array.prototype.filter.call(document.querySelectorAll('td, th, .verdict, .score, figure'), function (e) {
    return e.scrollWidth > e.clientWidth + 1; }).map(function (e) { return e.outerHTML.slice(0, 120); });
  var pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def chromium() -> str:
    binary = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    if binary is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); the browser test needs a real browser")
    return binary


def browse(profile: Path, *args: str, timeout: float = 180) -> str:
    process = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                             capture_output=True, text=True, timeout=timeout)
    assert process.returncode == 0, process.stderr[-2000:]
    return process.stdout


def rendered_dom(page: Path, profile: Path, width: int = 1440, fragment: str = "") -> str:
    """The DOM after the page's scripts ran (and a few seconds of timers, for delayed payloads)."""
    return browse(profile, f"--window-size={width},900", "--virtual-time-budget=3000", "--dump-dom",
                  page.as_uri() + fragment)


def probe(page: Path, tmp_path: Path, width: int, fragment: str = "") -> dict:
    copy = tmp_path / f"probe-{width}.html"
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = rendered_dom(copy, tmp_path / "chromium-profile", width, fragment)
    return json.loads(parse(dom.split('<pre id="probe">', 1)[1].split("</pre>", 1)[0]).words)


def pdf_pages(page: Path, tmp_path: Path) -> int:
    pdf = tmp_path / "report.pdf"
    browse(tmp_path / "chromium-profile", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


@pytest.mark.slow
def test_hostile_account_strings_render_as_text_in_chromium(aws, audit, tmp_path):
    """A role description, a tag value and a policy statement Sid carrying HTML and script.

    GetAccountAuthorizationDetails returns no role descriptions, so the description never reaches
    the report; the tag and the Sid do, in the evidence of the role's inline-policy finding.
    """
    statement = {"Sid": SVG, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    aws.role("hostile", inline={"etl": {"Version": "2012-10-17", "Statement": [statement]}},
             description=SCRIPT, tags={"owner": IMG, "note": BREAKOUT})
    result = audit("role_no_inline_policies")
    assert result.outcome("role_no_inline_policies", "hostile") == "failed"
    report = result.path.parent / "reports" / "compliance.html"
    assert not (report.parent / "assets").exists()  # one self-contained file

    dom = rendered_dom(report, tmp_path / "chromium-profile")
    page = parse(dom)
    assert EXECUTED not in dom.lower(), "a payload ran"
    assert "u" not in page.tags and page.tags.get("svg", 0) == charts_in(dom), f"payload markup became elements: {page.tags}"
    assert not page.handlers
    title = dom.split("<title", 1)[1].split("</title>", 1)[0]
    assert "IAM compliance report: account 123456789012" in title
    visible = "".join(page.visible)
    for value in (IMG, SVG, BREAKOUT):
        assert value in visible, f"{value!r} is not shown as text"
    assert "Role hostile has 1 inline policy: etl." in visible
    assert "Partial audit: 1 of" in visible  # one check of the catalogue was selected


def browser_page(tmp_path: Path) -> Path:
    results = log_of(
        item("root_mfa", "root", "failed", severity="critical", headline="Root user has no MFA",
             finding="The root user has no MFA device " + "and a very long explanation " * 30),
        *(item("user_mfa", f"svc-{name}", "failed", severity="medium",
               resource=f"arn:aws:iam::{ACCOUNT}:user/path/that/is/rather/long/svc-{name}") for name in ("metrics", "batch")),
        *(item("user_mfa", f"ok-{n}", "passed", severity="medium") for n in range(40)),
        item("user_tags", "svc-metrics", "skipped", severity="low"),
        item("user_keys", "svc-batch", "error", severity="high"))
    (tmp_path / "report").mkdir(exist_ok=True)
    page_of(results, tmp_path)
    return tmp_path / "report" / "compliance.html"


@pytest.mark.slow
def test_filters_links_and_layout_in_chromium(tmp_path):
    page = browser_page(tmp_path)
    seen = probe(page, tmp_path, 1024)
    assert seen["all"] == 6 and seen["count"] == "Showing 6 of 6 rows"  # 3 findings, 1 error, 1 passed row, 1 N/A row
    assert seen["critical"] == ["critical"]
    assert sorted(seen["no_passed"]) == ["error", "failed", "failed", "failed", "skipped"]
    assert len(seen["text"]) == 2 and all("svc-metrics" in row for row in seen["text"])  # case-insensitive
    assert seen["width"][0] <= seen["width"][1], "the page scrolls sideways at 1024 px"
    assert seen["clipped"] == [], "cells clip their content at 1024 px"
    linked = probe(page, tmp_path, 1440, "#items-user_mfa")
    assert linked["hash_check"] == "user_mfa"  # a control's link shows its items
    assert linked["all"] == 3  # its two findings and the row of its passes


@pytest.mark.slow
def test_demo_report_is_simulated_self_contained_and_prints_to_a_short_pdf(tmp_path):
    process = run_pytest("checks", "--demo", "--reports-dir", str(tmp_path / "reports"), "--html",
                         str(tmp_path / "elsewhere" / "demo.html"), "-q", "-p", "no:cacheprovider", "-p", "no:xdist")
    assert process.returncode == 1, process.stdout[-3000:] + process.stderr[-3000:]
    page = tmp_path / "elsewhere" / "demo.html"
    assert sorted(p.name for p in page.parent.iterdir()) == ["demo.html"]  # no assets folder beside it
    text = parse(page.read_text(encoding="utf-8")).words
    assert text.startswith("Simulated demo account: IAM compliance report")
    assert "Simulated Not compliant:" in text
    findings = json.loads((tmp_path / "reports" / "findings.json").read_text())["summary"]["failed"]
    pages = pdf_pages(page, tmp_path)
    assert 3 <= pages <= 12 + findings // 6, f"{pages} pages for {findings} findings"
    seen = probe(page, tmp_path, 1024)
    assert seen["width"][0] <= seen["width"][1] and seen["clipped"] == []

    stopped = run_pytest("checks", "--demo", "--snapshot", str(tmp_path / "reports" / "snapshot.json"), "-x",
                         "--reports-dir", str(tmp_path / "stopped"), "-q", "-p", "no:cacheprovider", "-p", "no:xdist")
    assert stopped.returncode == 1, stopped.stdout[-3000:]
    written = next((tmp_path / "stopped").rglob("compliance.html"))
    assert banner(written.read_text(encoding="utf-8")).startswith("Simulated Incomplete: interrupted")


def test_requirement_met_under_changed_settings_is_not_verified():
    """With password_policy.min_length relaxed to 8, a passing length check does not meet CIS v5.0 1.7's 14."""
    reference = Reference("cis-v5.0", "1.7")
    facts = CheckFacts("password_policy_min_length", "medium", "Passwords are long", (reference,), "")
    summary = ControlSummary("password_policy_min_length", "Passwords are long", "medium", (reference,))
    summary.counts["passed"] = 1
    unchanged = scores.framework_score("cis-v5.0", [facts], [summary])
    assert next(r for r in unchanged.rows if r.id == "1.7").status == scores.MET

    relaxed = scores.framework_score("cis-v5.0", [facts], [summary],
                                     {"password_policy_min_length": ["password_policy.min_length=8"]})
    row = next(r for r in relaxed.rows if r.id == "1.7")
    assert row.status == scores.SETTINGS_CHANGED
    assert row.reason == "checked with settings changed from the defaults: password_policy.min_length=8"
    assert relaxed.count(scores.MET) == 0
    assert "1 not verified (settings changed)" in relaxed.sentence
