//! Evidence files: photos taken at an inspection and documents sent with a repair. The type is
//! decided by the content, never by the file name or the declared type.

use sha2::{Digest, Sha256};

/// The kinds of file flexkeur keeps as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Jpeg,
    Png,
    Pdf,
}

impl FileKind {
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Pdf => "application/pdf",
        }
    }

    /// What the bytes are, if they are one of `allowed`. Images must have a readable header with
    /// real dimensions, so a file that merely starts with the right magic bytes is refused.
    pub fn sniff(bytes: &[u8], allowed: &[FileKind]) -> Option<FileKind> {
        let kind = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            FileKind::Jpeg
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            FileKind::Png
        } else if bytes.starts_with(b"%PDF-") {
            FileKind::Pdf
        } else {
            return None;
        };
        if !allowed.contains(&kind) {
            return None;
        }
        match kind {
            FileKind::Jpeg | FileKind::Png => imagesize::blob_size(bytes)
                .ok()
                .filter(|size| size.width > 0 && size.height > 0)
                .map(|_| kind),
            FileKind::Pdf => Some(kind),
        }
    }
}

/// Hex SHA-256 of the content, kept with the file so that it can be shown to be unchanged.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest valid PNG: 1x1 pixel.
    pub const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];

    /// A JPEG with only a start-of-frame header: 1x1 pixel.
    const JPEG_1X1: &[u8] = &[
        0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x01, 0x00, 0x01, 0x03, 0x01, 0x11, 0x00,
        0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9,
    ];

    #[test]
    fn content_decides() {
        let images = [FileKind::Jpeg, FileKind::Png];
        assert_eq!(FileKind::sniff(PNG_1X1, &images), Some(FileKind::Png));
        assert_eq!(FileKind::sniff(JPEG_1X1, &images), Some(FileKind::Jpeg));
        assert_eq!(FileKind::sniff(JPEG_1X1, &[FileKind::Png]), None);
        assert_eq!(FileKind::sniff(b"GIF89a....", &images), None);
        assert_eq!(
            FileKind::sniff(b"plain text named photo.jpg", &images),
            None
        );
        // The PNG signature alone, without a header, is not an image.
        assert_eq!(FileKind::sniff(b"\x89PNG\r\n\x1a\n", &images), None);
        assert_eq!(FileKind::sniff(&[0xFF, 0xD8, 0xFF], &images), None);
        assert_eq!(FileKind::sniff(b"%PDF-1.7\n", &images), None);
        assert_eq!(
            FileKind::sniff(b"%PDF-1.7\n", &[FileKind::Pdf]),
            Some(FileKind::Pdf)
        );
    }

    #[test]
    fn digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
