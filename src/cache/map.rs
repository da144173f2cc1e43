//! A cache file's bytes mapped instead of read, where that can be made safe; read everywhere else.
//!
//! Reading a large cache file copies it into private memory (a 10M-row cache is ~900 MB) and costs more than
//! verifying it. Mapping it shares the page cache instead, but a mapped file that shrinks turns every access
//! past its new end into SIGBUS. Our own writers never shrink a file (they replace it by rename, and the old
//! inode lives on while mapped), and the trust checks make sure nobody but its owner may write it; the
//! owner's other programs (or root) still could. So a file is mapped only under a read lease
//! (`fcntl(F_SETLEASE, F_RDLCK)`, Linux): an open for writing or a truncate, by anyone, then blocks until the
//! holder lets go, and the kernel tells the holder with SIGIO. The handler here copies the mapping into
//! private memory at the very same addresses (`mremap` over it, so every slice stays valid and holds the
//! bytes that were verified) and releases the lease; the writer then goes on. Where no lease can be taken
//! (another platform, a file system without leases, the file already open for writing somewhere, no free
//! slot), the caller reads the file instead.
//!
//! Everything the handler does is a system call or a copy, as a signal handler must; its table of live
//! mappings is a fixed array of atomics.

use std::fs::File;

/// The bytes of a whole file, mapped read-only under a read lease.
pub(crate) struct Mapped {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    inner: linux::Mapping,
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    _never: std::convert::Infallible,
}

impl Mapped {
    /// Maps `file` (opened read-only, `len` bytes long as the trust checks saw it) under a read lease, or
    /// `None` when that cannot be done safely: the caller then reads the file.
    pub(crate) fn of(file: &File, len: u64) -> Option<Mapped> {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            linux::Mapping::of(file, len).map(|inner| Mapped { inner })
        }
        #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
        {
            let _ = (file, len);
            None
        }
    }
}

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            self.inner.bytes()
        }
        #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
        {
            match self._never {}
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod linux {
    use std::fs::File;
    use std::os::fd::{AsRawFd, OwnedFd};
    use std::ptr;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU8, AtomicUsize, Ordering};

    /// Mappings that can be live at once; beyond that, files are read.
    const SLOTS: usize = 64;

    // A slot's life: FREE -> CLAIMED (lease taken, not mapped yet) -> LIVE -> CLOSING -> FREE, with
    // LIVE -> COPYING -> COPIED when the lease is broken, and CLAIMED -> BROKEN when it is broken before the
    // mapping exists (the mapping is then never used).
    const FREE: u8 = 0;
    const CLAIMED: u8 = 1;
    const LIVE: u8 = 2;
    const COPYING: u8 = 3;
    const COPIED: u8 = 4;
    const CLOSING: u8 = 5;
    const BROKEN: u8 = 6;

    struct Slot {
        state: AtomicU8,
        fd: AtomicI32,
        addr: AtomicPtr<libc::c_void>,
        len: AtomicUsize,
    }

    #[allow(clippy::declare_interior_mutable_const)]
    const EMPTY: Slot = Slot {
        state: AtomicU8::new(FREE),
        fd: AtomicI32::new(-1),
        addr: AtomicPtr::new(ptr::null_mut()),
        len: AtomicUsize::new(0),
    };
    static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];

    /// What SIGIO did before our handler, called for signals that are not about our leases.
    static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

    pub(super) struct Mapping {
        slot: usize,
        addr: *const u8,
        len: usize,
        /// The descriptor the lease is held through; closed after the lease is released.
        fd: OwnedFd,
    }

    // The mapping is read-only and never moves (a copy replaces it at the same addresses).
    unsafe impl Send for Mapping {}
    unsafe impl Sync for Mapping {}

    impl Mapping {
        pub(super) fn of(file: &File, len: u64) -> Option<Mapping> {
            let len = usize::try_from(len).ok().filter(|&l| l > 0)?;
            if !handler_installed() {
                return None;
            }
            // A descriptor of our own, so the lease lives exactly as long as the mapping.
            let fd: OwnedFd = file.try_clone().ok()?.into();
            let raw = fd.as_raw_fd();
            let slot = claim(raw)?;
            let release = |slot: usize| {
                TABLE[slot].fd.store(-1, Ordering::Relaxed);
                TABLE[slot].state.store(FREE, Ordering::Release);
            };
            // SAFETY: fcntl on a descriptor we own.
            if unsafe { libc::fcntl(raw, libc::F_SETLEASE, libc::F_RDLCK) } != 0 {
                release(slot);
                return None;
            }
            let unlease = || unsafe { libc::fcntl(raw, libc::F_SETLEASE, libc::F_UNLCK) };
            // Under the lease nobody can shrink the file unnoticed; it must still be the size judged.
            let same_size = file.metadata().is_ok_and(|m| m.len() == len as u64);
            if !same_size {
                unlease();
                release(slot);
                return None;
            }
            // SAFETY: a fresh read-only shared mapping of a descriptor we own; nothing else is at the
            // address the kernel picks. MAP_POPULATE maps every page now, from the page cache.
            let addr = unsafe {
                libc::mmap(
                    ptr::null_mut(),
                    len,
                    libc::PROT_READ,
                    libc::MAP_SHARED | libc::MAP_POPULATE,
                    raw,
                    0,
                )
            };
            if addr == libc::MAP_FAILED {
                unlease();
                release(slot);
                return None;
            }
            let entry = &TABLE[slot];
            entry.addr.store(addr, Ordering::Relaxed);
            entry.len.store(len, Ordering::Relaxed);
            if entry
                .state
                .compare_exchange(CLAIMED, LIVE, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                // The lease was broken before the mapping was published: someone is writing the file.
                // SAFETY: our own mapping, not yet shared with anyone.
                unsafe { libc::munmap(addr, len) };
                unlease();
                release(slot);
                return None;
            }
            Some(Mapping {
                slot,
                addr: addr.cast(),
                len,
                fd,
            })
        }

        pub(super) fn bytes(&self) -> &[u8] {
            // SAFETY: `len` readable bytes at `addr` for as long as `self` lives: the file's pages under the
            // lease, or after a break their private copy at the same addresses.
            unsafe { std::slice::from_raw_parts(self.addr, self.len) }
        }
    }

    impl Drop for Mapping {
        fn drop(&mut self) {
            let state = &TABLE[self.slot].state;
            loop {
                match state.compare_exchange(LIVE, CLOSING, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => break,
                    Err(COPIED) => {
                        if state
                            .compare_exchange(COPIED, CLOSING, Ordering::AcqRel, Ordering::Acquire)
                            .is_ok()
                        {
                            break;
                        }
                    }
                    // A handler is copying the mapping right now, on another thread.
                    Err(_) => std::thread::yield_now(),
                }
            }
            // SAFETY: our descriptor and our mapping (or its copy, which is unmapped the same way).
            unsafe {
                libc::fcntl(self.fd.as_raw_fd(), libc::F_SETLEASE, libc::F_UNLCK);
                libc::munmap(self.addr as *mut libc::c_void, self.len);
            }
            TABLE[self.slot].fd.store(-1, Ordering::Relaxed);
            state.store(FREE, Ordering::Release);
        }
    }

    fn claim(fd: i32) -> Option<usize> {
        TABLE.iter().position(|slot| {
            if slot
                .state
                .compare_exchange(FREE, CLAIMED, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                slot.fd.store(fd, Ordering::Release);
                true
            } else {
                false
            }
        })
    }

    fn handler_installed() -> bool {
        static INSTALLED: OnceLock<bool> = OnceLock::new();
        *INSTALLED.get_or_init(|| {
            // SAFETY: plain sigaction calls with zeroed, then filled, structures.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(libc::SIGIO, ptr::null(), &raw mut old) != 0 {
                    return false;
                }
                let _ = PREVIOUS.set(old);
                let mut new: libc::sigaction = std::mem::zeroed();
                new.sa_sigaction = on_sigio as *const () as usize;
                new.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
                libc::sigemptyset(&raw mut new.sa_mask);
                libc::sigaction(libc::SIGIO, &raw const new, ptr::null_mut()) == 0
            }
        })
    }

    /// SIGIO: for each of our leases being broken, copy its mapping into private memory in place and let
    /// the lease go. A lease being broken reads back as `F_UNLCK`, the type it is being broken to.
    extern "C" fn on_sigio(
        signal: libc::c_int,
        info: *mut libc::siginfo_t,
        context: *mut libc::c_void,
    ) {
        let mut ours = false;
        for slot in &TABLE {
            let fd = slot.fd.load(Ordering::Acquire);
            let state = slot.state.load(Ordering::Acquire);
            if fd < 0 || !(state == LIVE || state == CLAIMED) {
                continue;
            }
            // SAFETY: fcntl is async-signal-safe; a stale descriptor only makes it fail.
            let lease = unsafe { libc::fcntl(fd, libc::F_GETLEASE) };
            if lease == libc::F_RDLCK || lease < 0 {
                continue;
            }
            ours = true;
            if slot
                .state
                .compare_exchange(CLAIMED, BROKEN, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                // SAFETY: as above.
                unsafe { libc::fcntl(fd, libc::F_SETLEASE, libc::F_UNLCK) };
                continue;
            }
            if slot
                .state
                .compare_exchange(LIVE, COPYING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                let addr = slot.addr.load(Ordering::Relaxed);
                let len = slot.len.load(Ordering::Relaxed);
                // SAFETY: the slot is ours while COPYING (Drop waits); the file has its full length until
                // the lease is released below.
                if unsafe { privatise(addr, len) } {
                    unsafe { libc::fcntl(fd, libc::F_SETLEASE, libc::F_UNLCK) };
                    slot.state.store(COPIED, Ordering::Release);
                } else {
                    slot.state.store(LIVE, Ordering::Release);
                }
            }
        }
        if !ours {
            chain(signal, info, context);
        }
    }

    /// Replaces a shared file mapping by a private copy at the same addresses. If no memory can be had
    /// for the copy, the mapping stays as it is and so does the lease: the writer then waits for the
    /// kernel's lease timeout (`/proc/sys/fs/lease-break-time`), after which the file is no longer held.
    unsafe fn privatise(addr: *mut libc::c_void, len: usize) -> bool {
        unsafe {
            let copy = libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if copy == libc::MAP_FAILED {
                return false;
            }
            ptr::copy_nonoverlapping(addr.cast::<u8>(), copy.cast::<u8>(), len);
            libc::mprotect(copy, len, libc::PROT_READ);
            let moved = libc::mremap(
                copy,
                len,
                len,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                addr,
            );
            if moved == libc::MAP_FAILED {
                libc::munmap(copy, len);
                return false;
            }
            true
        }
    }

    /// Hands a SIGIO that is not about our leases to whatever handled SIGIO before us.
    fn chain(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
        let Some(previous) = PREVIOUS.get() else {
            return;
        };
        let handler = previous.sa_sigaction;
        if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
            // SIGIO's default would end the process for a signal it did not ask for; it is ignored.
            return;
        }
        // SAFETY: the previous handler was installed for SIGIO with these flags.
        unsafe {
            if previous.sa_flags & libc::SA_SIGINFO != 0 {
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(handler);
                f(signal, info, context);
            } else {
                let f: extern "C" fn(libc::c_int) = std::mem::transmute(handler);
                f(signal);
            }
        }
    }
}
