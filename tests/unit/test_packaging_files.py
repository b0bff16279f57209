"""The installable packaging definitions: well-formed, in step with the policy parser, and
accepted by the platform validators where those tools are installed."""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

from desktop_app.domain.policy import KEYS_BY_NAME, SECTORS, SETTING_KEYS, parse_policy

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ADMX = PACKAGING / "windows" / "admx" / "CaseNotes.admx"
ADML = PACKAGING / "windows" / "admx" / "en-GB" / "CaseNotes.adml"
WXS = PACKAGING / "windows" / "CaseNotes.wxs"
DESKTOP = PACKAGING / "linux" / "uk.org.casenotes.CaseNotes.desktop"
METAINFO = PACKAGING / "linux" / "uk.org.casenotes.CaseNotes.metainfo.xml"
ICON = ROOT / "resources" / "icons" / "casenotes.svg"
SPEC = PACKAGING / "casenotes.spec"

GP = "{http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions}"
WIX = "{http://wixtoolset.org/schemas/v4/wxs}"
XML_FILES = sorted([*PACKAGING.rglob("*.xml"), *PACKAGING.rglob("*.wxs"), *PACKAGING.rglob("*.admx"), *PACKAGING.rglob("*.adml"), ICON])  # fmt: skip


@pytest.mark.parametrize("path", XML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_xml_is_well_formed(path: Path) -> None:
    ET.parse(path)


def test_the_expected_files_exist() -> None:
    for path in (ADMX, ADML, WXS, DESKTOP, METAINFO, ICON, SPEC, PACKAGING / "windows" / "README.md"):
        assert path.is_file(), path
    assert (PACKAGING / "macos" / "README.md").is_file()
    assert (ROOT / "docs" / "admin.md").is_file()


# ---------------------------------------------------------------------------------------
# Group Policy templates
# ---------------------------------------------------------------------------------------
def admx_policies() -> list[ET.Element]:
    return list(ET.parse(ADMX).getroot().iter(f"{GP}policy"))


def value_names() -> list[str]:
    names: list[str] = []
    for policy in admx_policies():
        if "valueName" in policy.attrib:
            names.append(policy.attrib["valueName"])
        for element in policy.iter():
            if element is not policy and "valueName" in element.attrib:
                names.append(element.attrib["valueName"])
    return names


def test_admx_value_names_are_exactly_the_policy_keys() -> None:
    names = value_names()
    assert len(names) == len(set(names)), "a registry value is defined twice"
    assert set(names) == SETTING_KEYS


def test_every_admx_policy_writes_under_the_policies_key() -> None:
    policies = admx_policies()
    assert len({p.attrib["name"] for p in policies}) == len(policies)
    for policy in policies:
        assert policy.attrib["key"] == r"Software\Policies\CaseNotes", policy.attrib["name"]
        assert policy.attrib["class"] == "Machine"  # HKLM, as the loader reads


def test_admx_string_and_presentation_references_resolve_in_the_adml() -> None:
    admx_text = ADMX.read_text(encoding="utf-8")
    adml = ET.parse(ADML).getroot()
    strings = {s.attrib["id"] for s in adml.iter(f"{GP}string")}
    presentations = {p.attrib["id"]: p for p in adml.iter(f"{GP}presentation")}
    used_strings = set(re.findall(r"\$\(string\.([A-Za-z0-9_]+)\)", admx_text))
    used_presentations = set(re.findall(r"\$\(presentation\.([A-Za-z0-9_]+)\)", admx_text))
    assert used_strings - strings == set(), "ADMX refers to strings the ADML does not define"
    assert strings - used_strings == set(), "ADML defines strings nothing uses"
    assert used_presentations == set(presentations)
    for policy in admx_policies():
        element_ids = {e.attrib["id"] for e in policy.iter() if "id" in e.attrib}
        ref = re.fullmatch(r"\$\(presentation\.(\w+)\)", policy.attrib.get("presentation", ""))
        if ref is None:
            assert not element_ids, f"{policy.attrib['name']} has elements but no presentation"
            continue
        refs = {e.attrib["refId"] for e in presentations[ref.group(1)].iter() if "refId" in e.attrib}
        assert refs == element_ids, policy.attrib["name"]


def test_admx_explanations_name_their_registry_value() -> None:
    adml = ET.parse(ADML).getroot()
    texts = {s.attrib["id"]: s.text or "" for s in adml.iter(f"{GP}string")}
    for policy in admx_policies():
        explain = re.fullmatch(r"\$\(string\.(\w+)\)", policy.attrib["explainText"])
        assert explain is not None
        names = [e.attrib["valueName"] for e in policy.iter() if "valueName" in e.attrib]
        for name in names:
            assert name in texts[explain.group(1)], f"{policy.attrib['name']} explanation should name {name}"


def test_admx_ranges_and_choices_match_the_parser() -> None:
    for policy in admx_policies():
        for element in policy.iter(f"{GP}decimal"):
            if "valueName" not in element.attrib:
                continue  # enabledValue/disabledValue
            spec = KEYS_BY_NAME[element.attrib["valueName"]]
            assert (int(element.attrib["minValue"]), int(element.attrib["maxValue"])) == (spec.minimum, spec.maximum)
        for enum in policy.iter(f"{GP}enum"):
            name = enum.attrib["valueName"]
            values = [s.text or "" for s in enum.iter(f"{GP}string")]
            if name == "organisation_sector":
                assert sorted(values) == sorted(SECTORS)
            for value in values:
                # Every choice the template offers must parse cleanly as Group Policy would write it.
                policy_result = parse_policy(registry={name: value})
                assert policy_result.problems == (), (name, value)
        for boolean in ("enabledValue", "disabledValue"):
            for holder in policy.iter(f"{GP}{boolean}"):
                (decimal,) = list(holder)
                name = policy.attrib["valueName"]
                assert KEYS_BY_NAME[name].kind == "boolean"
                result = parse_policy(registry={name: int(decimal.attrib["value"])})
                assert result.problems == ()


# ---------------------------------------------------------------------------------------
# WiX
# ---------------------------------------------------------------------------------------
def load_harvest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("harvest", PACKAGING / "windows" / "harvest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_wix_package_supports_per_user_and_per_machine_installs() -> None:
    root = ET.parse(WXS).getroot()
    assert root.tag == f"{WIX}Wix"
    (package,) = root.iter(f"{WIX}Package")
    assert package.attrib["Scope"] == "$(var.InstallScope)"
    text = WXS.read_text(encoding="utf-8")
    # Dual-purpose by default; -d PerMachineOnly=1 gives the per-machine-only definition.
    assert '<?define InstallScope = "perUserOrMachine" ?>' in text
    assert '<?define InstallScope = "perMachine" ?>' in text
    assert "<?ifdef PerMachineOnly ?>" in text
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", package.attrib["UpgradeCode"])
    shortcut = next(root.iter(f"{WIX}Shortcut"))
    assert shortcut.attrib["Target"] == "[#CaseNotesGuiExe]"
    key_path = next(root.iter(f"{WIX}RegistryValue"))
    assert key_path.attrib["Root"] == "HKMU"  # HKCU per-user, HKLM per-machine
    assert {r.attrib["Id"] for r in root.iter(f"{WIX}ComponentGroupRef")} == {"AppFiles"}


def test_harvest_generates_a_fragment_with_the_ids_the_package_uses(tmp_path: Path) -> None:
    build = tmp_path / "casenotes"
    for relative in ("casenotes.exe", "casenotes-gui.exe", "_internal/python311.dll", "_internal/PySide6/Qt6Core.dll"):
        path = build / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"MZ")
    out = tmp_path / "AppFiles.wxs"
    assert load_harvest().main([str(build), str(out)]) == 0
    root = ET.parse(out).getroot()
    files = list(root.iter(f"{WIX}File"))
    assert len(files) == 4
    ids = [f.attrib["Id"] for f in files]
    assert {"CaseNotesExe", "CaseNotesGuiExe"} <= set(ids)
    all_ids = ids + [e.attrib["Id"] for e in root.iter() if e.tag in (f"{WIX}Component", f"{WIX}Directory")]
    assert len(all_ids) == len(set(all_ids))
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]{0,71}", i) for i in all_ids)
    assert all(f.attrib["Source"].startswith("$(var.BuildDir)\\") for f in files)
    again = tmp_path / "again.wxs"
    load_harvest().main([str(build), str(again)])
    assert again.read_bytes() == out.read_bytes()  # deterministic: stable component GUIDs


# ---------------------------------------------------------------------------------------
# Linux desktop integration
# ---------------------------------------------------------------------------------------
def run_tool(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None,
    reason="desktop-file-validate not installed (apt-get install desktop-file-utils)",
)
def test_desktop_entry_passes_desktop_file_validate() -> None:
    result = run_tool("desktop-file-validate", str(DESKTOP))
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.mark.skipif(
    shutil.which("appstreamcli") is None, reason="appstreamcli not installed (apt-get install appstream)"
)
def test_metainfo_passes_appstreamcli_validate() -> None:
    result = run_tool("appstreamcli", "validate", "--no-net", str(METAINFO))
    assert result.returncode == 0, result.stdout + result.stderr


def test_desktop_entry_and_metainfo_agree() -> None:
    desktop = dict(line.split("=", 1) for line in DESKTOP.read_text(encoding="utf-8").splitlines() if "=" in line)
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == DESKTOP.stem
    assert root.findtext("launchable") == DESKTOP.name
    assert desktop["Icon"] == DESKTOP.stem
    assert desktop["Exec"].split()[0] == root.findtext("provides/binary") == "casenotes"


def test_icon_is_a_square_svg() -> None:
    root = ET.parse(ICON).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _x, _y, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert width == height


# ---------------------------------------------------------------------------------------
# PyInstaller spec
# ---------------------------------------------------------------------------------------
def test_spec_parses_as_python_and_builds_one_folder() -> None:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= calls  # COLLECT = one-folder
    source = SPEC.read_text(encoding="utf-8")
    assert "desktop_app" in source and '"resources"' in source
    for package in ("sqlcipher3", "pyrage", "cryptography"):
        assert package in source
    for node in ast.walk(tree):  # a one-file build passes a.binaries/a.datas to EXE instead
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "EXE":
            keywords = {k.arg for k in node.keywords}
            assert "exclude_binaries" in keywords or any(k.arg is None for k in node.keywords)


# ---------------------------------------------------------------------------------------
# Documentation stays in step
# ---------------------------------------------------------------------------------------
def test_admin_guide_documents_every_policy_key_and_exit_code() -> None:
    guide = (ROOT / "docs" / "admin.md").read_text(encoding="utf-8")
    for key in sorted(SETTING_KEYS | {"schema_version"}):
        assert f"| `{key}` |" in guide, f"docs/admin.md has no row for {key}"
    for code in range(5):
        assert f"\n| {code} |" in guide
    assert "casenotes check --vault DIR --passphrase-stdin" in guide
    assert "age-keygen" in guide
