"""The HTML report: every value from the account is text, never markup; passing rows stay light.

pytest-html inserts cells, row details and the summary as raw HTML, so the escaping is ours. The
unit tests feed hostile values to each piece; the browser test seeds them in a simulated account,
audits it, opens the report in headless Chromium and reads back the DOM the page's scripts built.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from iam_compliance.model.iam import Snapshot
from iam_compliance.settings import load_settings
from iam_compliance.rendering import html, overview
from iam_compliance.controls import Reference
from iam_compliance.results.log import ResultLog
from iam_compliance.results.record import ItemRecord

# Each payload, if it ever ran, would leave the marker XSSRAN behind (in the title or as an <xssran>
# element); the marker itself appears in no payload, so finding it proves execution. No double
# quotes or backslashes: the evidence is shown as JSON, which would escape them.
SCRIPT = "<script>document.title='XSS'+'RAN'</script>"
IMG = "<img src=x onerror=document.body.appendChild(document.createElement('xss'+'ran'))>"
SVG = "</pre></td><svg onload=document.title='XSS'+'RAN'></svg><!--"
BREAKOUT = "'><u onmouseover=document.title='XSS'+'RAN'>x</u>"
PAYLOADS = [SCRIPT, IMG, SVG, BREAKOUT]
EXECUTED = "xssran"


class TextAndMarkup(HTMLParser):
    """The page's text (entities decoded), its text outside elements hidden by class, its tags and
    the names of its event-handler attributes."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.visible: list[str] = []
        self.tags: set[str] = set()
        self.handlers: set[str] = set()
        self.hidden: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)
        self.handlers |= {name for name, _ in attrs if name.startswith("on")}
        if tag not in self.VOID:
            classes = (dict(attrs).get("class") or "").split()
            self.hidden.append("hidden" in classes or (bool(self.hidden) and self.hidden[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.hidden:
            self.hidden.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if not (self.hidden and self.hidden[-1]):
            self.visible.append(data)


def parse(markup: str) -> TextAndMarkup:
    parser = TextAndMarkup()
    parser.feed(markup)
    parser.close()
    return parser


def assert_text_only(markup: str, *values: str) -> None:
    """The values appear in the text exactly as written, and none of their markup became elements."""
    page = parse(markup)
    text = "".join(page.text)
    for value in values:
        assert value in text
    assert not page.tags & {"script", "img", "svg", "u", EXECUTED}, f"markup leaked: {page.tags}"
    assert not page.handlers


def hostile_report(outcome: str = "failed", when: str = "call") -> pytest.TestReport:
    props = [("title", IMG), ("check_id", SCRIPT), ("resource", SVG), ("severity", BREAKOUT),
             ("compliance", f"cis-v5.0:{IMG}"), ("remediation", SCRIPT),
             ("evidence", json.dumps({"tag": IMG, "sid": SVG}))]
    return pytest.TestReport(f"checks/test_x.py::test_x[{BREAKOUT}]", ("checks/test_x.py", 1, "test_x"), {}, outcome,
                             f"{SCRIPT} is wrong\nFix: {SCRIPT}" if outcome != "passed" else None, when,
                             user_properties=props)


def test_table_cells_show_hostile_values_as_text():
    cells = ['<td class="col-result">Failed</td>', "<td>id</td>", "<td>1 ms</td>", "<td></td>"]
    html.table_row(hostile_report(), cells)
    assert len(cells) == 1 + len(html.HEADERS)
    assert_text_only("".join(cells), SCRIPT, SVG, BREAKOUT, f"{SCRIPT} is wrong")


def test_row_details_show_hostile_evidence_as_text():
    data = ["pytest-html's log"]
    html.row_details(hostile_report(), data)
    assert_text_only("".join(data), IMG, SVG, BREAKOUT)
    assert "Evidence" in "".join(data)


def test_passing_rows_carry_no_details():
    data = ["No log output captured."]
    html.row_details(hostile_report("passed"), data)
    assert data == []
    cells = ['<td class="col-result">Passed</td>', "<td>id</td>", "<td>1 ms</td>", "<td></td>"]
    html.table_row(hostile_report("passed"), cells)
    assert cells[-2:] == ["<td></td>", "<td></td>"]  # no finding, no remediation


def test_errors_keep_their_whole_message_in_the_details():
    report = hostile_report("failed", when="setup")
    report.longrepr = f"Traceback (most recent call last):\n  line 1\nE   KeyError: {IMG}"
    cells = ['<td class="col-result">Error</td>', "<td>id</td>", "<td>1 ms</td>", "<td></td>"]
    html.table_row(report, cells)
    assert parse(cells[4]).text == [f"KeyError: {IMG}"]
    assert cells[5] == "<td></td>"  # an error has no remediation: it is not a finding
    data: list[str] = []
    html.row_details(report, data)
    assert_text_only(data[0], "Traceback (most recent call last):", IMG)
    assert "Evidence" not in data[0]


def hostile_snapshot() -> Snapshot:
    doc = {"account_id": "123456789012", "partition": "aws", "caller_arn": IMG, "collected_at": "2026-06-01T00:00:00+00:00",
           "sources": {"credential_report": {"status": "error", "error": {"code": SCRIPT, "message": SVG}},
                       "account_summary": {"status": "ok", "data": {}}}}
    return Snapshot(doc, path=BREAKOUT, sha256="0" * 64)


def test_overview_shows_hostile_values_as_text():
    results = ResultLog()
    for index, outcome in enumerate(["failed", "failed", "error", "passed"]):
        results.items[str(index)] = ItemRecord(
            nodeid=f"checks/test_x.py::test_x[{IMG}{index}]", check_id=SCRIPT, severity="high", resource=SVG,
            title=BREAKOUT, outcome=outcome, finding=f"{SVG} finding", message=f"{SVG} finding\nFix: {IMG}",
            references=(Reference(SCRIPT, IMG),), remediation=IMG)
    page = overview.render(results, hostile_snapshot())
    assert_text_only(page, SCRIPT, SVG, BREAKOUT, f"{SVG} finding", f"Fix: {IMG}", f"{IMG}0, {IMG}1")
    assert "Not compliant: 2 findings" in page
    assert "Data that could not be read: 1 source" in page


def test_environment_values_are_escaped():
    env = html.environment(hostile_snapshot(), load_settings(None, []), "1.0")
    assert_text_only("".join(env.values()), IMG, BREAKOUT, f"credential_report: ERROR {SCRIPT}")


# --- In a real browser --------------------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium() -> str:
    binary = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    if binary is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); the browser test needs a real browser")
    return binary


def rendered_dom(page: Path, profile: Path) -> str:
    """The DOM after the page's scripts ran (and a few seconds of timers, for delayed payloads)."""
    process = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=3000", "--dump-dom",
         page.as_uri()], capture_output=True, text=True, timeout=180)
    assert process.returncode == 0, process.stderr[-2000:]
    return process.stdout


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

    dom = rendered_dom(report, tmp_path / "chromium-profile")
    page = parse(dom)
    assert EXECUTED not in dom.lower(), "a payload ran"
    assert not page.tags & {"svg", "u"}, f"payload markup became elements: {page.tags}"
    assert page.handlers <= {"onclick"}, "only pytest-html's own reload button has a handler"
    title = dom.split("<title", 1)[1].split("</title>", 1)[0]
    assert "IAM compliance report: account 123456789012" in title
    rows = dom.count('class="collapsible" data-id=')
    assert rows == len(result.results.items), "every item has its row: the page's scripts ran to the end"
    visible = "".join(page.visible)
    for value in (IMG, SVG, BREAKOUT):
        assert value in visible, f"{value!r} is not shown as text"
    assert "Role hostile has 1 inline policy: etl." in visible


def test_overview_lists_drift_groups_from_the_baseline():
    from iam_compliance.results.drift import Drift

    drift = Drift(baseline=IMG, baseline_collected_at="2026-05-01T00:00:00+00:00",
                  new=("user_console_mfa_enabled:arn:aws:iam::123456789012:user/bob",), known=(),
                  resolved=(f"{SCRIPT}:{SVG}",), unverified=(),
                  severities={"user_console_mfa_enabled:arn:aws:iam::123456789012:user/bob": "high", f"{SCRIPT}:{SVG}": "low"})
    page = overview.render(ResultLog(), hostile_snapshot(), drift)
    assert_text_only(page, IMG, SCRIPT, SVG)
    text = " ".join(" ".join(parse(page).text).split())
    assert "Changes since the baseline" in text
    assert "1 new , 0 known , 1 resolved , 0 unverified" in text
    assert "user_console_mfa_enabled arn:aws:iam::123456789012:user/bob" in text


class FakeReportData:
    """The parts of pytest-html's ReportData that arrange_rows uses."""

    def __init__(self, nodeids: list[str]):
        self.data = {"tests": {nodeid: [{"nodeid": nodeid}] for nodeid in nodeids}, "renderCollapsed": ["passed"]}
        self.outcomes = {"passed": {"label": "Passed", "value": 0}, "skipped": {"label": "Not applicable", "value": 0}}


def test_large_runs_count_passing_rows_instead_of_listing_them(monkeypatch):
    monkeypatch.setattr(html, "LISTED_ROWS_LIMIT", 3)
    monkeypatch.setattr(html, "EXPANDED_ROWS_LIMIT", 2)
    results = ResultLog()
    outcomes = ["passed"] * 4 + ["skipped"] * 2 + ["failed", "failed", "error"]
    severities = ["low"] * 6 + ["low", "critical", "medium"]
    for index, (outcome, severity) in enumerate(zip(outcomes, severities)):
        nodeid = f"checks/test_x.py::test_x[e{index}]"
        results.items[nodeid] = ItemRecord(nodeid, "x", severity, f"arn:{index}", outcome=outcome)
    report_data = FakeReportData(list(results.items))
    unlisted = html.arrange_rows(report_data, results)
    assert unlisted == {"passed": 4}  # 4 passes exceed the limit of 3; 2 not-applicable items do not
    assert list(report_data.data["tests"]) == [  # errors, then findings worst first, then the rest
        "checks/test_x.py::test_x[e8]", "checks/test_x.py::test_x[e7]", "checks/test_x.py::test_x[e6]",
        "checks/test_x.py::test_x[e4]", "checks/test_x.py::test_x[e5]"]
    assert report_data.outcomes["passed"]["label"] == "Passed (not listed)"
    assert report_data.data["renderCollapsed"] == ["all"]
    heading = html.items_heading(unlisted)
    assert "The 4 passing items are counted in the overview but not listed here" in heading


def report_blob(path: Path) -> dict:
    """pytest-html's data: the JSON in the page's data-jsonblob attribute."""
    import html as html_module
    import re

    return json.loads(html_module.unescape(re.search(r'data-jsonblob="([^"]*)"', path.read_text()).group(1)))


def test_report_has_title_environment_and_light_passing_rows(aws, audit):
    aws.user("with-mfa", password=True, mfa="virtual", password_last_used_days=1)
    aws.user("no-mfa", password=True, password_last_used_days=1)
    result = audit("user_console_mfa_enabled")
    assert result.outcome("user_console_mfa_enabled", "with-mfa") == "passed"
    assert result.outcome("user_console_mfa_enabled", "no-mfa") == "failed"
    page = result.path.parent / "reports" / "compliance.html"
    blob = report_blob(page)

    assert blob["title"] == f"IAM compliance report: account 123456789012, {result.snapshot['collected_at'][:10]}"
    env = blob["environment"]
    assert env["Account"] == "123456789012" and env["Partition"] == "aws"
    assert env["Caller"] == result.snapshot["caller_arn"] and env["Collected at"] == result.snapshot["collected_at"]
    assert len(env["Snapshot SHA-256"]) == 64 and env["Suite version"]
    assert "unused_password_days=45" in env["Settings: users"]
    assert "Python" not in env and "Plugins" not in env  # the audit's facts only

    rows = {nodeid.rsplit("[", 1)[1]: entries[0] for nodeid, entries in blob["tests"].items()}
    assert rows["with-mfa]"]["log"] == "" and rows["with-mfa]"]["extras"] == []
    assert "Evidence" in rows["no-mfa]"]["log"] and "mfa_active" in rows["no-mfa]"]["log"]
    assert list(rows) == ["no-mfa]", "with-mfa]"]  # the finding first
    text = "".join(parse(page.read_text()).text)
    assert "Not compliant: 1 finding" in text and "What to do first" in text
