"""Where vaults live, and warnings about where they should not.

The default is the per-user *local* (not roaming) data folder: a roaming profile or a
synced folder would copy the database around half-written, and a network share makes
SQLite's locking and fsync unreliable. We warn rather than refuse, because a school's
IT may know better; the warning is shown at creation and on every unlock.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

SYNC_FOLDER_MARKERS = (
    "dropbox",
    "onedrive",
    "google drive",
    "googledrive",
    "icloud",
    "nextcloud",
    "owncloud",
    "box sync",
    "mega",
)
NETWORK_FS_TYPES = {
    "nfs",
    "nfs4",
    "cifs",
    "smbfs",
    "smb3",
    "ncpfs",
    "afs",
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


def default_vault_dir() -> Path:
    base = platformdirs.user_data_dir("CaseNotes", "SafeguardingCaseNotes", roaming=False)
    return Path(base) / "vault"


def _mount_fs_type(path: Path) -> str | None:
    """Linux: the file-system type of the mount holding ``path``."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return None
    best, best_type = "", None
    target = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        if (target == mount_point or target.startswith(mount_point.rstrip("/") + "/")) and len(mount_point) >= len(
            best
        ):
            best, best_type = mount_point, parts[2]
    return best_type


def location_warnings(folder: Path) -> list[str]:
    """Plain-English warnings about ``folder`` as a vault location (empty if fine)."""
    warnings: list[str] = []
    text = str(folder).lower()
    if any(marker in text for marker in SYNC_FOLDER_MARKERS):
        warnings.append(
            "This folder looks like a synced folder (such as OneDrive or Dropbox). Syncing can "
            "copy the vault while it is being written and damage it. Choose a folder on this "
            "computer's own disk, and use Backup to keep copies."
        )
    if sys.platform == "win32":
        if text.startswith("\\\\"):
            warnings.append(_network_warning())
        else:
            import ctypes

            drive = os.path.splitdrive(str(folder.resolve()))[0] + "\\"
            if ctypes.windll.kernel32.GetDriveTypeW(drive) == 4:  # DRIVE_REMOTE
                warnings.append(_network_warning())
        appdata = os.environ.get("APPDATA", "").lower()
        if appdata and text.startswith(appdata):
            warnings.append(
                "This folder is in the roaming profile, which is copied to a server when you "
                "sign out. Choose a folder under your local application data instead."
            )
    else:
        probe = folder
        while not probe.exists() and probe.parent != probe:
            probe = probe.parent
        fs_type = _mount_fs_type(probe)
        if fs_type in NETWORK_FS_TYPES:
            warnings.append(_network_warning())
    return warnings


def _network_warning() -> str:
    return (
        "This folder is on a network drive. The vault must live on this computer's own "
        "disk: network drives can lose writes and cannot reliably stop two people opening "
        "the vault at once."
    )
