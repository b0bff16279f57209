"""Where a vault may live: synced folders, network drives and roaming profiles are
warned about on every platform's terms (the rules are pure functions, so Windows and
macOS rules are tested here too)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

import platformdirs
import pytest

from desktop_app.store import location
from desktop_app.store.location import (
    default_vault_dir,
    fs_type_from_linux_mounts,
    fs_type_from_macos_mounts,
    location_warnings,
    synced_folder,
    windows_warnings,
)


@pytest.mark.parametrize(
    "path",
    [
        PurePosixPath("/home/alex/Dropbox/vault"),
        PurePosixPath("/home/alex/Dropbox (Personal)/casenotes"),
        PureWindowsPath(r"C:\Users\alex\OneDrive - Oak Lane School\vault"),
        PureWindowsPath(r"C:\Users\alex\OneDrive\Documents\vault"),
        PurePosixPath("/Users/alex/Library/Mobile Documents/com~apple~CloudDocs/vault"),
        PurePosixPath("/Users/alex/Library/CloudStorage/GoogleDrive-alex@example.org/My Drive/vault"),
        PurePosixPath("/Users/alex/Library/CloudStorage/OneDrive-Personal/vault"),
        PureWindowsPath(r"G:\My Drive\vault"),
        PurePosixPath("/home/alex/Nextcloud/vault"),
        PurePosixPath("/home/alex/MEGA/vault"),
    ],
)
def test_synced_folders_are_recognised(path: PurePosixPath | PureWindowsPath) -> None:
    assert synced_folder(path) is not None


@pytest.mark.parametrize(
    "path",
    [
        PurePosixPath("/home/megan/vault"),  # "mega" only as a whole folder name
        PurePosixPath("/srv/omega/vault"),
        PurePosixPath("/home/alex/boxing-club/vault"),
        PurePosixPath("/home/alex/dropboxes-old-notes/vault"),
        PureWindowsPath(r"C:\Users\alex\AppData\Local\SafeguardingCaseNotes\CaseNotes\vault"),
        PurePosixPath("/home/alex/.local/share/CaseNotes/vault"),
    ],
)
def test_ordinary_folders_are_not_mistaken_for_synced_ones(path: PurePosixPath | PureWindowsPath) -> None:
    assert synced_folder(path) is None


LINUX_MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
server:/export/home /home nfs4 rw,relatime 0 0
/dev/sdb1 /home/alex/local\\040disk ext4 rw 0 0
//fileserver/staff /mnt/staff cifs rw 0 0
alex@host:/srv /home/alex/remote fuse.sshfs rw 0 0
"""


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/var/lib/x", "ext4"),
        ("/home/alex/vault", "nfs4"),
        ("/home/alex/local disk/vault", "ext4"),  # a nested local mount inside the NFS home
        ("/mnt/staff/vault", "cifs"),
        ("/mnt/staffroom", "ext4"),  # a sibling whose name only starts the same
        ("/home/alex/remote/vault", "fuse.sshfs"),
    ],
)
def test_linux_mount_table_gives_the_innermost_file_system(target: str, expected: str) -> None:
    assert fs_type_from_linux_mounts(target, LINUX_MOUNTS) == expected


MACOS_MOUNT = """\
/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)
/dev/disk3s5 on /System/Volumes/Data (apfs, local, journaled, nobrowse, protect)
//alex@fileserver/Staff on /Volumes/Staff (smbfs, nodev, nosuid, mounted by alex)
/dev/disk4s1 on /Volumes/Staff Backup (apfs, local, nodev, nosuid, journaled)
"""


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/System/Volumes/Data/Users/alex/vault", "apfs"),
        ("/Volumes/Staff/vault", "smbfs"),
        ("/Volumes/Staff Backup/vault", "apfs"),
        ("/Users/alex", "apfs"),
    ],
)
def test_macos_mount_output_gives_the_file_system(target: str, expected: str) -> None:
    assert fs_type_from_macos_mounts(target, MACOS_MOUNT) == expected


def test_windows_network_and_roaming_rules() -> None:
    appdata = r"C:\Users\alex\AppData\Roaming"
    assert windows_warnings(r"\\fileserver\staff\vault", drive_is_remote=False, appdata=appdata)
    assert "network drive" in windows_warnings(r"H:\vault", drive_is_remote=True, appdata=appdata)[0]
    roaming = windows_warnings(r"C:\Users\alex\AppData\Roaming\CaseNotes\vault", drive_is_remote=False, appdata=appdata)
    assert len(roaming) == 1 and "roaming profile" in roaming[0]
    local = r"C:\Users\alex\AppData\Local\SafeguardingCaseNotes\CaseNotes\vault"
    assert windows_warnings(local, drive_is_remote=False, appdata=appdata) == []
    # A folder whose name merely starts like the roaming one is not inside it.
    assert windows_warnings(r"C:\Users\alex\AppData\RoamingCopy\vault", drive_is_remote=False, appdata=appdata) == []


def test_default_location_is_the_local_not_roaming_data_folder() -> None:
    folder = default_vault_dir()
    assert folder.name == "vault"
    assert folder.parent == Path(platformdirs.user_data_dir("CaseNotes", "SafeguardingCaseNotes", roaming=False))
    assert location_warnings(folder) == [] or all("network" in w for w in location_warnings(folder))


def test_a_vault_on_a_network_mount_is_warned_about(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(location, "_local_fs_type", lambda folder: "nfs4")
    warnings = location_warnings(tmp_path / "vault")
    assert len(warnings) == 1 and "network drive" in warnings[0]


def test_a_synced_folder_warning_names_the_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(location, "_local_fs_type", lambda folder: "ext4")
    warnings = location_warnings(tmp_path / "OneDrive - Oak Lane School" / "vault")
    assert len(warnings) == 1
    assert "(OneDrive - Oak Lane School)" in warnings[0] and "Backup" in warnings[0]


def test_this_machines_temporary_folder_is_not_warned_about(tmp_path: Path) -> None:
    """The real mount table of this computer: a local temporary folder is fine."""
    assert location_warnings(tmp_path / "vault") == []
