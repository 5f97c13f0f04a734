//! Whole-object CRCs as S3 reports them (`x-amz-checksum-crc64nvme` and the like, with
//! `x-amz-checksum-type: FULL_OBJECT`): computed in one pass or part by part and combined, so
//! parts fetched or sent in parallel still give the checksum of the whole object.

use crc_fast::CrcAlgorithm;

/// A CRC S3 can keep as an object's full-object checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Crc {
    Crc32,
    Crc32c,
    Crc64Nvme,
}

impl Crc {
    /// The name S3 uses in headers and the catalog: `crc32`, `crc32c`, `crc64nvme`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "crc32",
            Self::Crc32c => "crc32c",
            Self::Crc64Nvme => "crc64nvme",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Self> {
        [Self::Crc64Nvme, Self::Crc32c, Self::Crc32]
            .into_iter()
            .find(|crc| crc.name() == name)
    }

    fn algorithm(self) -> CrcAlgorithm {
        match self {
            Self::Crc32 => CrcAlgorithm::Crc32IsoHdlc,
            Self::Crc32c => CrcAlgorithm::Crc32Iscsi,
            Self::Crc64Nvme => CrcAlgorithm::Crc64Nvme,
        }
    }

    fn width(self) -> usize {
        match self {
            Self::Crc64Nvme => 8,
            Self::Crc32 | Self::Crc32c => 4,
        }
    }

    pub(crate) fn digest(self) -> crc_fast::Digest {
        crc_fast::Digest::new(self.algorithm())
    }

    /// The CRC of `bytes`.
    pub(crate) fn of(self, bytes: &[u8]) -> u64 {
        let mut digest = self.digest();
        digest.update(bytes);
        digest.finalize()
    }

    /// The whole object's CRC a server reported (`value`, with its `x-amz-checksum-type`);
    /// `None` for none, or for a composite one (a checksum of the parts' checksums).
    pub(crate) fn reported(self, value: Option<&str>, checksum_type: Option<&str>) -> Option<u64> {
        if checksum_type.is_some_and(|t| t != "FULL_OBJECT") {
            return None;
        }
        self.decode(value?)
    }

    /// The CRC of `first` followed by `second` bytes whose CRC is `next`.
    pub(crate) fn combine(self, first: u64, next: u64, second: u64) -> u64 {
        crc_fast::checksum_combine(self.algorithm(), first, next, second)
    }

    /// The CRC of pieces in order, from each piece's CRC and length; `None` for no pieces.
    pub(crate) fn combine_all(self, pieces: impl IntoIterator<Item = (u64, u64)>) -> Option<u64> {
        let mut pieces = pieces.into_iter();
        let (first, _) = pieces.next()?;
        Some(pieces.fold(first, |whole, (crc, len)| self.combine(whole, crc, len)))
    }

    /// The value as headers carry it: base64 of its big-endian bytes.
    pub(crate) fn encode(self, value: u64) -> String {
        let bytes = value.to_be_bytes();
        base64_simd::STANDARD.encode_to_string(&bytes[8 - self.width()..])
    }

    /// A header's value; `None` for one that is not this CRC (a composite `…-N`, another width).
    pub(crate) fn decode(self, text: &str) -> Option<u64> {
        let bytes = base64_simd::STANDARD.decode_to_vec(text).ok()?;
        (bytes.len() == self.width()).then(|| {
            bytes
                .iter()
                .fold(0u64, |value, b| value << 8 | u64::from(*b))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crcs_of_parts_combine_into_the_crc_of_the_whole() {
        let whole: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for crc in [Crc::Crc32, Crc::Crc32c, Crc::Crc64Nvme] {
            let pieces = whole.chunks(30_000).map(|p| (crc.of(p), p.len() as u64));
            let of_whole = crc.of(&whole);
            assert_eq!(crc.combine_all(pieces), Some(of_whole), "{}", crc.name());
            assert_eq!(crc.decode(&crc.encode(of_whole)), Some(of_whole));
            let encoded = crc.encode(of_whole);
            assert_eq!(crc.reported(Some(&encoded), None), Some(of_whole));
            assert_eq!(
                crc.reported(Some(&encoded), Some("FULL_OBJECT")),
                Some(of_whole)
            );
            assert_eq!(crc.reported(Some(&encoded), Some("COMPOSITE")), None);
            assert_eq!(crc.reported(None, Some("FULL_OBJECT")), None);
        }
    }

    #[test]
    fn values_are_read_as_s3_writes_them() {
        // CRC64NVME("123456789") = 0xae8b14860a799888, CRC32("123456789") = 0xcbf43926.
        assert_eq!(Crc::Crc64Nvme.encode(0xae8b_1486_0a79_9888), "rosUhgp5mIg=");
        assert_eq!(Crc::Crc32.encode(0xcbf4_3926), "y/Q5Jg==");
        assert_eq!(Crc::Crc32.decode("y/Q5Jg=="), Some(0xcbf4_3926));
        assert_eq!(Crc::Crc32.decode("rosUhgp5mIg="), None);
        assert_eq!(Crc::Crc32c.decode("y/Q5Jg==-3"), None);
        assert_eq!(Crc::parse("crc64nvme"), Some(Crc::Crc64Nvme));
        assert_eq!(Crc::parse("sha256"), None);
    }
}
