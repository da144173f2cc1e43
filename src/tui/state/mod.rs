//! One small state struct per pane; `App` coordinates them.

pub mod arrange;
pub mod cache;
pub mod columns;
pub mod databases;
pub mod discard;
pub mod find;
pub mod highlights;
pub mod insight;
pub mod ordering;
pub mod records;
pub mod screen;
pub mod search_job;
pub mod sort;
pub mod timing;

/// A cursor over a list with a scroll offset that keeps it on screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub pos: usize,
    pub offset: usize,
}

impl Cursor {
    /// Moves by `delta` lines within `len`, and scrolls so the cursor stays within `height` lines.
    pub fn step(&mut self, delta: isize, len: usize, height: usize) {
        let target = self.pos.saturating_add_signed(delta);
        self.set(target, len, height);
    }

    pub fn set(&mut self, pos: usize, len: usize, height: usize) {
        self.pos = pos.min(len.saturating_sub(1));
        self.follow(len, height);
    }

    /// Keeps the cursor visible and the view full after the list or the height changed.
    pub fn follow(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        self.pos = self.pos.min(len.saturating_sub(1));
        if self.pos < self.offset {
            self.offset = self.pos;
        } else if self.pos >= self.offset + height {
            self.offset = self.pos + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn cursor_stays_in_range_and_view() {
        let mut c = Cursor::default();
        c.step(5, 3, 10);
        assert_eq!(c, Cursor { pos: 2, offset: 0 });
        c.step(-10, 3, 10);
        assert_eq!(c.pos, 0);
        c.set(50, 100, 10);
        assert_eq!(
            c,
            Cursor {
                pos: 50,
                offset: 41
            }
        );
        c.follow(0, 10);
        assert_eq!(c, Cursor { pos: 0, offset: 0 });
    }
}
