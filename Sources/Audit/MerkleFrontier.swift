import PortcullisCrypto

/// The compact frontier of an RFC 6962 Merkle tree: one hash per perfect subtree, largest first.
///
/// Appending a leaf and computing the root cost O(log n) and never read old leaves, so a writer
/// can checkpoint a log of any size without re-reading it, and store this frontier (at most 64
/// hashes) in each checkpoint line to restart from it.
struct MerkleFrontier: Equatable {
    private(set) var size: UInt64 = 0
    /// Roots of the perfect subtrees covering leaves [0, size), one per set bit of `size`, largest first.
    private(set) var hashes: [SHA256Digest] = []

    init() {}

    /// Restores a frontier from a checkpoint; `nil` if the hash count does not match the size.
    init?(size: UInt64, hashes: [SHA256Digest]) {
        guard hashes.count == size.nonzeroBitCount else { return nil }
        self.size = size
        self.hashes = hashes
    }

    /// Leaf hash per RFC 6962: SHA-256(0x00 ‖ leaf bytes).
    static func leafHash(_ leaf: UnsafeRawBufferPointer, using hasher: SHA256) -> SHA256Digest {
        hasher.update(byte: 0x00)
        hasher.update(leaf)
        return hasher.finalize()
    }

    /// Interior node hash per RFC 6962: SHA-256(0x01 ‖ left ‖ right).
    static func nodeHash(_ left: SHA256Digest, _ right: SHA256Digest, using hasher: SHA256) -> SHA256Digest {
        hasher.update(byte: 0x01)
        hasher.update(left)
        hasher.update(right)
        return hasher.finalize()
    }

    mutating func append(leafHash: SHA256Digest, using hasher: SHA256) {
        var node = leafHash
        // Each trailing 1-bit of the old size is a subtree of equal height that the new leaf completes.
        var merges = (~size).trailingZeroBitCount
        while merges > 0 {
            node = MerkleFrontier.nodeHash(hashes.removeLast(), node, using: hasher)
            merges -= 1
        }
        hashes.append(node)
        size += 1
    }

    /// The tree head: SHA-256("") for the empty tree, else the subtrees folded right to left.
    func root(using hasher: SHA256) -> SHA256Digest {
        guard var root = hashes.last else { return hasher.digest(UnsafeRawBufferPointer(start: nil, count: 0)) }
        for hash in hashes.dropLast().reversed() {
            root = MerkleFrontier.nodeHash(hash, root, using: hasher)
        }
        return root
    }
}
