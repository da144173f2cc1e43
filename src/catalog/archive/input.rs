//! The archive's compressed bytes as the decompressor reads them: from memory or a file a piece at a time,
//! so a large archive is never held whole, with a look ahead at what follows a gzip member and the
//! position read so far.

use std::io::{self, BufRead, Read};

/// How much of the archive is read from its source at a time.
const CHUNK: usize = 1 << 20;

/// A buffered reader that can look ahead a few bytes and knows how far into the archive it is.
pub(super) struct Input<R> {
    source: R,
    buf: Vec<u8>,
    /// Unconsumed bytes are `buf[at..filled]`.
    at: usize,
    filled: usize,
    /// Bytes consumed from the start of the archive.
    offset: u64,
}

impl<R: Read> Input<R> {
    pub(super) fn new(source: R) -> Self {
        Input {
            source,
            buf: vec![0; CHUNK],
            at: 0,
            filled: 0,
            offset: 0,
        }
    }

    /// What the archive was read from, once the stream is done with it.
    pub(super) fn into_source(self) -> R {
        self.source
    }

    /// Bytes consumed so far: the offset of what the next read returns.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// At least `n` unconsumed bytes, or fewer only where the archive ends sooner.
    pub(super) fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        debug_assert!(n <= CHUNK, "a look ahead fits the buffer");
        if self.filled - self.at < n {
            self.buf.copy_within(self.at..self.filled, 0);
            self.filled -= self.at;
            self.at = 0;
            while self.filled < n {
                match self.source.read(&mut self.buf[self.filled..]) {
                    Ok(0) => break,
                    Ok(read) => self.filled += read,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Unread::mark(e)),
                }
            }
        }
        let end = self.filled.min(self.at + n);
        Ok(&self.buf[self.at..end])
    }

    /// Whether every byte left is zero (none left counts), and how many are left; reads to the end.
    pub(super) fn rest_is_zero(&mut self) -> io::Result<(bool, u64)> {
        let (mut zero, mut left) = (true, 0u64);
        loop {
            let chunk = self.fill_buf()?;
            if chunk.is_empty() {
                return Ok((zero, left));
            }
            zero = zero && chunk.iter().all(|b| *b == 0);
            let n = chunk.len();
            left += n as u64;
            self.consume(n);
        }
    }
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let chunk = self.fill_buf()?;
        let n = chunk.len().min(out.len());
        out[..n].copy_from_slice(&chunk[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Input<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.at == self.filled {
            self.at = 0;
            self.filled = loop {
                match self.source.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.filled = 0;
                        return Err(Unread::mark(e));
                    }
                }
            };
        }
        Ok(&self.buf[self.at..self.filled])
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.filled - self.at);
        self.at += n;
        self.offset += n as u64;
    }
}

/// A failure to read the archive's own bytes (not to decompress them), marked so that it is reported as
/// such and not as a damaged gzip stream.
#[derive(Debug)]
pub(super) struct Unread(io::Error);

impl Unread {
    fn mark(error: io::Error) -> io::Error {
        io::Error::new(error.kind(), Unread(error))
    }

    /// The source's own error when `error` is a marked one, else `error` back.
    pub(super) fn unmark(error: io::Error) -> Result<io::Error, io::Error> {
        error.downcast::<Unread>().map(|Unread(inner)| inner)
    }

    /// The source's own error, when `error` is a marked one.
    pub(super) fn cause(error: io::Error) -> io::Error {
        Unread::unmark(error).unwrap_or_else(|other| other)
    }
}

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Unread {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out one byte per read, the worst a reader may do.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            if out.is_empty() {
                return Ok(0);
            }
            out[0] = *first;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn peek_gathers_short_reads_and_keeps_the_offset() {
        let mut input = Input::new(Trickle(b"abcdef"));
        assert_eq!(input.peek(3).unwrap(), b"abc");
        let mut two = [0u8; 2];
        input.read_exact(&mut two).unwrap();
        assert_eq!(&two, b"ab");
        assert_eq!(input.offset(), 2);
        assert_eq!(input.peek(10).unwrap(), b"cdef");
        assert_eq!(input.rest_is_zero().unwrap(), (false, 4));
        assert_eq!(input.offset(), 6);
        assert_eq!(input.peek(2).unwrap(), b"");
    }

    #[test]
    fn zero_padding_is_told_from_trailing_data() {
        assert_eq!(
            Input::new(&[0u8, 0, 0][..]).rest_is_zero().unwrap(),
            (true, 3)
        );
        assert_eq!(
            Input::new(&[0u8, 7, 0][..]).rest_is_zero().unwrap(),
            (false, 3)
        );
        assert_eq!(Input::new(&[][..]).rest_is_zero().unwrap(), (true, 0));
    }
}
