//! The tar stream under the walk: what the bytes are (gzip or plain tar), every gzip member decompressed in
//! turn as `gzip -dc` does, and the bytes read counted against the total limit, remembering why a read
//! failed so the error can say so.

use std::cell::{Cell, RefCell};
use std::io::{self, Read};

use flate2::bufread::GzDecoder;

use super::input::{Input, Unread};
use crate::error::ArchiveError;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const BLOCK: usize = 512;

/// How the archive's bytes hold its tar stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Gzip,
    Tar,
}

/// Gzip by its magic number; a plain tar by its first block: a header with a valid checksum, the `ustar`
/// magic (a bad checksum is then the tar's own error), or a zero block (an empty tar); anything else is
/// named as well as it can be.
pub(super) fn detect(bytes: &[u8]) -> Result<Format, ArchiveError> {
    if bytes.is_empty() {
        return Err(ArchiveError::EmptyFile);
    }
    if bytes.starts_with(&GZIP_MAGIC) {
        return Ok(Format::Gzip);
    }
    let zero_block = bytes
        .get(..BLOCK)
        .is_some_and(|b| b.iter().all(|b| *b == 0));
    if bytes.get(257..262) == Some(b"ustar") || zero_block || first_header_checks_out(bytes) {
        return Ok(Format::Tar);
    }
    let hex: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let guess = match bytes {
        [b'P', b'K', ..] => " (a zip archive)",
        [b'B', b'Z', b'h', ..] => " (a bzip2 stream)",
        [0xfd, b'7', b'z', b'X', ..] => " (an xz stream)",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => " (a zstd stream)",
        _ if bytes
            .iter()
            .take(64)
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()) =>
        {
            " (plain text)"
        }
        _ => "",
    };
    Err(ArchiveError::UnknownFormat(format!(
        "{}{guess}",
        hex.join(" ")
    )))
}

/// Whether the first 512 bytes are a tar header by its checksum: the number at 148..156 equals the sum of
/// the block's bytes with that field counted as spaces (the check the tar reader itself makes).
fn first_header_checks_out(bytes: &[u8]) -> bool {
    let Some(block) = bytes.get(..BLOCK) else {
        return false;
    };
    let Ok(stored) = tar::Header::from_byte_slice(block).cksum() else {
        return false;
    };
    let sum: u32 = block[..148]
        .iter()
        .chain(&block[156..])
        .map(|b| u32::from(*b))
        .sum::<u32>()
        + 8 * u32::from(b' ');
    sum == stored
}

/// Why the stream stopped, as the reader saw it.
#[derive(Default)]
pub(super) struct StreamState {
    /// The first failure below the tar reader (gzip, trailing data, the total limit).
    failure: RefCell<Option<ArchiveError>>,
    /// The tar reader asked for more bytes than the stream holds.
    at_end: Cell<bool>,
}

impl StreamState {
    fn fail(&self, error: ArchiveError) -> io::Error {
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(error);
        }
        io::Error::other("the archive's stream failed")
    }

    /// Whether the tar reader ran into the end of the stream, i.e. stopped without an end marker.
    pub(super) fn ran_out(&self) -> bool {
        self.at_end.get()
    }

    /// Turns an io error out of the tar reader into what actually went wrong.
    pub(super) fn classify(&self, error: io::Error) -> ArchiveError {
        if let Some(failure) = self.failure.borrow_mut().take() {
            failure
        } else if self.at_end.get() || error.kind() == io::ErrorKind::UnexpectedEof {
            ArchiveError::TruncatedTar
        } else {
            ArchiveError::Tar(error)
        }
    }
}

/// The tar stream's bytes, counted against the total limit.
pub(super) struct Stream<'a, R> {
    source: Source<R>,
    read: u64,
    limit: u64,
    state: &'a StreamState,
}

// One per archive read, never moved about: boxing the decoder would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Source<R> {
    Gzip(Members<R>),
    Tar(Input<R>),
}

impl<'a, R: Read> Stream<'a, R> {
    /// The stream of an archive read from `source`, or why it is not one: the format is told from its
    /// first block.
    pub(super) fn open(
        source: R,
        limit: u64,
        state: &'a StreamState,
    ) -> Result<Self, ArchiveError> {
        let mut input = Input::new(source);
        let head = input
            .peek(BLOCK)
            .map_err(|e| ArchiveError::Unreadable(Unread::cause(e)))?;
        let source = match detect(head)? {
            Format::Gzip => Source::Gzip(Members::new(input)),
            Format::Tar => Source::Tar(input),
        };
        Ok(Stream {
            source,
            read: 0,
            limit,
            state,
        })
    }

    /// Reads a gzip stream to its very end, so every member's CRC and length are checked (and counted).
    /// A plain tar has nothing to check after its end marker. Returns what was read the archive from.
    pub(super) fn finish(mut self) -> Result<R, ArchiveError> {
        if let Source::Gzip(_) = self.source {
            io::copy(&mut self, &mut io::sink()).map_err(|e| self.state.classify(e))?;
        }
        let source = match self.source {
            Source::Gzip(members) => members.into_source(),
            Source::Tar(input) => Some(input.into_source()),
        };
        source.ok_or_else(|| ArchiveError::Gzip(io::Error::other("the gzip stream failed earlier")))
    }
}

impl<R: Read> Read for Stream<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = match &mut self.source {
            Source::Gzip(members) => members.read(buf),
            Source::Tar(rest) => rest.read(buf),
        };
        let n = match result {
            Ok(n) => n,
            Err(e) => {
                let error = match e.downcast::<Trailing>() {
                    Ok(t) => ArchiveError::TrailingData {
                        offset: t.offset,
                        bytes: t.bytes,
                    },
                    Err(e) => match Unread::unmark(e) {
                        Ok(e) => ArchiveError::Unreadable(e),
                        Err(e) => ArchiveError::Gzip(e),
                    },
                };
                return Err(self.state.fail(error));
            }
        };
        if n == 0 && !buf.is_empty() {
            self.state.at_end.set(true);
        }
        self.read += n as u64;
        if self.read > self.limit {
            let limit = self.limit;
            return Err(self.state.fail(ArchiveError::TotalTooLarge { limit }));
        }
        Ok(n)
    }
}

/// Bytes after a gzip member that do not start another one.
#[derive(Debug)]
struct Trailing {
    offset: u64,
    bytes: u64,
}

impl std::fmt::Display for Trailing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes of trailing data", self.bytes)
    }
}

impl std::error::Error for Trailing {}

/// Every member of a gzip file, one after the other. flate2 checks each member's CRC and length when the
/// member ends; whatever follows the last member must be another member, NUL padding, or nothing.
struct Members<R> {
    /// Only `None` while one member's decoder makes way for the next one's.
    decoder: Option<GzDecoder<Input<R>>>,
    /// After an error flate2 reads as if at the end; this keeps every later read failing instead.
    failed: bool,
}

impl<R: Read> Members<R> {
    fn new(input: Input<R>) -> Self {
        Members {
            decoder: Some(GzDecoder::new(input)),
            failed: false,
        }
    }

    fn into_source(self) -> Option<R> {
        Some(self.decoder?.into_inner().into_source())
    }
}

impl<R: Read> Read for Members<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io::Error::other("the gzip stream failed earlier"));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let result = self.next_bytes(buf);
        self.failed = result.is_err();
        result
    }
}

impl<R: Read> Members<R> {
    fn next_bytes(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Err(io::Error::other("the gzip stream failed earlier"));
            };
            let n = decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // The member is over and its trailer checked: what follows is the next member, or the end.
            // NUL padding (from a tape or block device) ends the stream, as `gzip -d` quietly allows.
            let rest = decoder.get_mut();
            let offset = rest.offset();
            if rest.peek(GZIP_MAGIC.len())?.starts_with(&GZIP_MAGIC) {
                let input = self.decoder.take().map(GzDecoder::into_inner);
                self.decoder = input.map(GzDecoder::new);
                continue;
            }
            let (zero, bytes) = rest.rest_is_zero()?;
            if zero {
                return Ok(0);
            }
            let trailing = Trailing { offset, bytes };
            return Err(io::Error::new(io::ErrorKind::InvalidData, trailing));
        }
    }
}
