#!/usr/bin/python3
"""A file system that fails on demand, for the lease file tests: MOUNT shows BACKING as it is,
until CONTROL (a file outside it) says otherwise:
  ok      everything passes through
  eio     every write, fsync, create and rename fails with EIO (a dying disk)
  erofs   every change fails with EROFS (a file system remounted read-only)
A tmpfs cannot be remounted read-only while a file on it is open for writing, hence this.

  faultfs.py BACKING MOUNT CONTROL       (foreground; unmount MOUNT to stop it)

Debian's /usr/bin/python3 with python3-fusepy.
"""
import errno
import os
import sys

from fusepy import FUSE, FuseOSError, Operations


class FaultFS(Operations):
    def __init__(self, backing, control):
        self.root = backing
        self.control = control

    def mode(self):
        try:
            with open(self.control) as f:
                return f.read().strip()
        except OSError:
            return "ok"

    def fail(self, change):
        """Raises the error the control file asks for, for an operation that writes."""
        m = self.mode()
        if m == "eio":
            raise FuseOSError(errno.EIO)
        if m == "erofs" and change:
            raise FuseOSError(errno.EROFS)

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))

    def getattr(self, p, fh=None):
        st = os.lstat(self.path(p))
        keys = ("st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink", "st_size",
                "st_uid")
        return {k: getattr(st, k) for k in keys}

    def readdir(self, p, fh):
        return [".", ".."] + os.listdir(self.path(p))

    def statfs(self, p):
        st = os.statvfs(self.path(p))
        keys = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files",
                "f_flag", "f_frsize", "f_namemax")
        return {k: getattr(st, k) for k in keys}

    def open(self, p, flags):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_TRUNC):
            if self.mode() == "erofs":
                raise FuseOSError(errno.EROFS)
        return os.open(self.path(p), flags)

    def create(self, p, mode, fi=None):
        self.fail(True)
        return os.open(self.path(p), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)

    def read(self, p, size, offset, fh):
        os.lseek(fh, offset, os.SEEK_SET)
        return os.read(fh, size)

    def write(self, p, data, offset, fh):
        self.fail(True)
        os.lseek(fh, offset, os.SEEK_SET)
        return os.write(fh, data)

    def truncate(self, p, length, fh=None):
        self.fail(True)
        with open(self.path(p), "r+") as f:
            f.truncate(length)

    def fsync(self, p, datasync, fh):
        self.fail(True)
        os.fsync(fh)

    def flush(self, p, fh):
        return 0

    def release(self, p, fh):
        os.close(fh)

    def rename(self, old, new):
        self.fail(True)
        os.rename(self.path(old), self.path(new))

    def unlink(self, p):
        self.fail(True)
        os.unlink(self.path(p))

    def mkdir(self, p, mode):
        self.fail(True)
        os.mkdir(self.path(p), mode)

    def chmod(self, p, mode):
        self.fail(True)
        os.chmod(self.path(p), mode)

    def utimens(self, p, times=None):
        os.utime(self.path(p), times)


def main():
    backing, mount, control = sys.argv[1:4]
    FUSE(FaultFS(backing, control), mount, foreground=True, nothreads=True, allow_other=True)


if __name__ == "__main__":
    main()
