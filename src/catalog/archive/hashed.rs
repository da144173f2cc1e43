//! An archive's SHA-256 taken from the very bytes the reader is given, as they pass, so that a file is
//! read once for both.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// A reader that hashes and counts every byte read through it.
pub struct Hashed<R> {
    inner: R,
    hasher: Sha256,
    len: u64,
}

impl<R: Read> Hashed<R> {
    /// Hashes what is read from `inner`.
    pub fn new(inner: R) -> Self {
        Hashed {
            inner,
            hasher: Sha256::new(),
            len: 0,
        }
    }

    /// Reads whatever is left, and gives the SHA-256 and length of everything `inner` held.
    pub fn finish(mut self) -> io::Result<([u8; 32], u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((self.hasher.finalize().into(), self.len))
    }
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_what_was_read_and_what_was_left() {
        let bytes = b"some archive bytes, more than one read's worth".repeat(100);
        let mut hashed = Hashed::new(&bytes[..]);
        let mut first = [0u8; 10];
        hashed.read_exact(&mut first).unwrap();
        let (sha, len) = hashed.finish().unwrap();
        assert_eq!(sha, crate::catalog::archive::sha256(&bytes));
        assert_eq!(len, bytes.len() as u64);
    }
}
