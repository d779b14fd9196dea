"""The demo's reports print as they should (issue 20): rendered to PDF with LibreOffice and
Chromium from Debian's packages, page counts read with poppler's pdfinfo — one payslip per
page, the boss report on two pages at most; and no internal code or key=value dump in any
sheet or HTML report."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

BINARIES = ("libreoffice", "chromium", "pdfinfo")
# codes the store and the engine use that a reader must never see
CODES = (
    "pdd",
    "tmall",
    "taobao",
    "douyin",
    "kuaishou",
    "slow_reply",
    "presales",
    "aftersales",
    "completed",
    "refund_only",
    "sales_amount",
    "received_buyers",
)
CODE = re.compile(r"(?<![A-Za-z_])(" + "|".join(CODES) + r")(?![A-Za-z_])")
KEY_VALUE = re.compile(r"\b[a-z][a-z_]*=[^\s=]")


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def _libreoffice(files: list[Path], out: Path) -> None:
    profile = out / "lo-profile"  # its own profile: runs side by side do not lock each other
    subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        capture_output=True,
        check=True,
        timeout=600,
    )


def _chromium(page: Path, pdf: Path) -> None:
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ],
        capture_output=True,
        check=True,
        timeout=300,
    )


def _payslips(base: Path, out: Path) -> tuple[Path, Path, int, int]:
    """The demo's payslips alone: as a workbook and as the web's print page."""
    from kaohe.assigned import pay_assigned
    from kaohe.assignments import load_assignments
    from kaohe.reports.assessment import write_assessment
    from kaohe.store import Store
    from kaohe.web.pages.payslip import _slip
    from kaohe.web.render import ENV

    with Store(str(base / "kaohe.duckdb")) as store:
        runs, _ = pay_assigned(store, load_assignments(base / "assignments.yaml"), "2026-10", True)
    results = [run.result for run in runs]
    book = write_assessment(out / "payslips.xlsx", [], results)
    slips = [_slip(r, s) for r in results for s in r.payslips]
    page = out / "payslips.html"
    template = ENV.get_template("payslip_print.html")
    page.write_text(template.render(slips=slips, problems=[], period="2026-10", lang="zh"))
    return book, page, len(slips), len(results)


@pytest.mark.slow
@pytest.mark.skipif(
    any(shutil.which(b) is None for b in BINARIES),
    reason="needs libreoffice, chromium and pdfinfo (Debian packages)",
)
def test_the_reports_print(demo_dir: tuple[Path, str], tmp_path: Path) -> None:
    base, _ = demo_dir
    reports = base / "reports"
    book, page, n, plans = _payslips(base, tmp_path)
    workbooks = [book, reports / "kaohe_boss.xlsx", reports / "kaohe_report.xlsx"]
    _libreoffice(workbooks, tmp_path)
    # each plan's 工资表 on one page, then one A5 page per payslip (20 agents, 5 plans)
    assert _pages(tmp_path / "payslips.pdf") == plans + n == 5 + 20
    assert _pages(tmp_path / "kaohe_boss.pdf") <= 2
    assert _pages(tmp_path / "kaohe_report.pdf") >= 1
    _chromium(page, tmp_path / "payslips_web.pdf")
    assert _pages(tmp_path / "payslips_web.pdf") == n
    _chromium(reports / "kaohe_boss.html", tmp_path / "boss.pdf")
    assert _pages(tmp_path / "boss.pdf") <= 2


def _sheet_texts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        strings = z.read("xl/sharedStrings.xml").decode("utf-8")
        names = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode())
    return names + re.findall(r"<t[^>]*>([^<]*)</t>", strings)


def _page_texts(path: Path) -> list[str]:
    page = re.sub(r"<(style|script)\b.*?</\1>", "", path.read_text("utf-8"), flags=re.S)
    return re.findall(r">([^<]+)<", page)


def test_no_internal_code_or_key_value_dump_reaches_a_reader(
    demo_dir: tuple[Path, str],
) -> None:
    reports = demo_dir[0] / "reports"
    texts = {
        **{p.name: _sheet_texts(p) for p in sorted(reports.glob("*.xlsx"))},
        **{p.name: _page_texts(p) for p in sorted(reports.glob("*.html"))},
    }
    assert set(texts) >= {"kaohe_report.xlsx", "kaohe_assessment.xlsx", "kaohe_boss.xlsx"}
    found = {
        name: [t[:80] for t in found if CODE.search(t) or KEY_VALUE.search(t)]
        for name, found in texts.items()
    }
    assert found == {name: [] for name in texts}
