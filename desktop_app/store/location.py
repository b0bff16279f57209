"""Where vaults live, and warnings about where they should not.

The default is the per-user *local* (not roaming) data folder: a roaming profile or a
synced folder would copy the database around half-written, and a network share makes
SQLite's locking and fsync unreliable. We warn rather than refuse, because a school's
IT may know better; the warning is shown at creation and on every unlock.

The checks are pure functions of a path and of what the operating system reports (the
Linux mount table, macOS ``mount`` output, the Windows drive type), so each platform's
rules are tested on every platform.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path, PurePath

import platformdirs

#: Folder names (whole path components, ignoring case) that sync services create. A
#: component matches when it equals a name or starts with it followed by a space, a
#: hyphen or a bracket ("OneDrive - Oak Lane School", "Dropbox (Personal)",
#: "GoogleDrive-alex@example.org"), so /home/megan or /srv/omega never match.
SYNC_FOLDER_NAMES = (
    "dropbox",
    "onedrive",
    "google drive",
    "googledrive",
    "my drive",
    "icloud drive",
    "iclouddrive",
    "com~apple~clouddocs",  # macOS iCloud Drive: ~/Library/Mobile Documents/com~apple~CloudDocs
    "mobile documents",
    "cloudstorage",  # macOS File Provider: ~/Library/CloudStorage/<service>-<account>
    "nextcloud",
    "owncloud",
    "box",
    "box sync",
    "mega",
    "megasync",
    "pcloud drive",
    "sync.com",
)
NETWORK_FS_TYPES = {
    "nfs",
    "nfs4",
    "cifs",
    "smbfs",
    "smb3",
    "ncpfs",
    "afs",
    "afpfs",
    "webdav",
    "9p",
    "fuse.sshfs",
    "fuse.rclone",
    "davfs",
    "fuse.davfs2",
    "glusterfs",
    "ceph",
    "lustre",
    "fuse.gvfsd-fuse",
}
_COMPONENT_SUFFIX = re.compile(r"^[\s\-\(\[_]")


def default_vault_dir() -> Path:
    """The per-user local data folder: never the roaming profile on Windows."""
    base = platformdirs.user_data_dir("CaseNotes", "SafeguardingCaseNotes", roaming=False)
    return Path(base) / "vault"


def synced_folder(path: PurePath) -> str | None:
    """The path component that marks a sync service's folder, or None."""
    for component in path.parts:
        name = component.lower()
        for marker in SYNC_FOLDER_NAMES:
            if name == marker or (name.startswith(marker) and _COMPONENT_SUFFIX.match(name[len(marker) :])):
                return component
    return None


def fs_type_from_linux_mounts(target: str, mounts: str) -> str | None:
    """The file-system type of the longest mount point holding ``target`` (an absolute,
    resolved path), from the text of ``/proc/self/mounts``."""
    best, best_type = "", None
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, parts[2]
    return best_type


_MACOS_MOUNT = re.compile(r"^(?P<source>.+?) on (?P<point>/.*?) \((?P<type>[^,)]+)")


def fs_type_from_macos_mounts(target: str, mount_output: str) -> str | None:
    """The same, from the output of macOS ``mount`` ("//u@host/share on /Volumes/share
    (smbfs, nodev, nosuid, mounted by u)")."""
    best, best_type = "", None
    for line in mount_output.splitlines():
        match = _MACOS_MOUNT.match(line.strip())
        if not match:
            continue
        point = match.group("point")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, match.group("type").strip()
    return best_type


def windows_warnings(path_text: str, *, drive_is_remote: bool, appdata: str) -> list[str]:
    """Windows rules: a UNC path or a mapped network drive; the roaming profile."""
    warnings: list[str] = []
    lowered = path_text.lower()
    if lowered.startswith("\\\\") or drive_is_remote:
        warnings.append(_network_warning())
    roaming = appdata.lower().rstrip("\\")
    if roaming and (lowered == roaming or lowered.startswith(roaming + "\\")):
        warnings.append(
            "This folder is in the roaming profile, which is copied to a server when you "
            "sign out. Choose a folder under your local application data instead."
        )
    return warnings


def _existing(folder: Path) -> Path:
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    return probe


def _local_fs_type(folder: Path) -> str | None:
    """What this computer says about the file system holding ``folder``; None if unknown."""
    target = str(_existing(folder).resolve())
    if sys.platform == "darwin":
        try:
            output = subprocess.run(["/sbin/mount"], capture_output=True, text=True, timeout=5, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        return fs_type_from_macos_mounts(target, output)
    try:
        mounts = Path("/proc/self/mounts").read_text()
    except OSError:
        return None
    return fs_type_from_linux_mounts(target, mounts)


def _windows_drive_is_remote(folder: Path) -> bool:
    import ctypes

    drive = os.path.splitdrive(str(folder.resolve()))[0] + "\\"
    return bool(ctypes.windll.kernel32.GetDriveTypeW(drive) == 4)  # type: ignore[attr-defined]  # DRIVE_REMOTE


def location_warnings(folder: Path) -> list[str]:
    """Plain-English warnings about ``folder`` as a vault location (empty if fine)."""
    warnings: list[str] = []
    service = synced_folder(folder)
    if service is not None:
        warnings.append(
            f"This folder looks like a synced folder ({service}). Syncing can copy the vault "
            "while it is being written and damage it. Choose a folder on this computer's own "
            "disk, and use Backup to keep copies."
        )
    if sys.platform == "win32":
        text = str(folder)
        remote = not text.startswith("\\\\") and _windows_drive_is_remote(folder)
        warnings.extend(windows_warnings(text, drive_is_remote=remote, appdata=os.environ.get("APPDATA", "")))
    elif _local_fs_type(folder) in NETWORK_FS_TYPES:
        warnings.append(_network_warning())
    return warnings


def _network_warning() -> str:
    return (
        "This folder is on a network drive. The vault must live on this computer's own "
        "disk: network drives can lose writes and cannot reliably stop two people opening "
        "the vault at once."
    )
