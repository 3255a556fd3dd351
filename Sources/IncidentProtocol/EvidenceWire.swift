import Foundation
import IncidentCore

/// `io.incidentd.Evidence`: files attached to an incident, uploaded and read back in chunks.
public enum EvidenceWire {
    public struct BeginParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        /// The file's own name, without a directory.
        public var name: String
        public var kind: EvidenceKind?
        public var description: String?
        /// The file's size in bytes, when the client knows it; the commit must match it.
        public var size: Int64?

        public init(
            reference: IncidentReference,
            name: String,
            kind: EvidenceKind? = nil,
            description: String? = nil,
            size: Int64? = nil
        ) {
            self.reference = reference
            self.name = name
            self.kind = kind
            self.description = description
            self.size = size
        }
    }

    public struct BeginReply: Codable, Sendable, Equatable {
        /// The upload's id, for Upload and Commit.
        public var upload: String
        /// The most bytes one Upload may carry.
        public var chunkSize: Int

        public init(upload: String, chunkSize: Int) {
            self.upload = upload
            self.chunkSize = chunkSize
        }
    }

    public struct UploadParameters: Codable, Sendable, Equatable {
        public var upload: String
        /// 0 for the first chunk, then 1, 2, …: chunks come in order.
        public var position: Int
        /// The chunk's bytes, base64.
        public var data: String

        public init(upload: String, position: Int, data: String) {
            self.upload = upload
            self.position = position
            self.data = data
        }
    }

    public struct UploadReply: Codable, Sendable, Equatable {
        /// Bytes received so far.
        public var received: Int64

        public init(received: Int64) { self.received = received }
    }

    public struct CommitParameters: Codable, Sendable, Equatable {
        public var upload: String
        /// SHA-256 of the whole file, lowercase hex: the daemon checks it against what it stored.
        public var sha256: String

        public init(upload: String, sha256: String) {
            self.upload = upload
            self.sha256 = sha256
        }
    }

    public struct EvidenceReply: Codable, Sendable, Equatable {
        public var evidence: EvidenceItem

        public init(evidence: EvidenceItem) { self.evidence = evidence }
    }

    public struct ListParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference

        public init(reference: IncidentReference) { self.reference = reference }
    }

    public struct ListReply: Codable, Sendable, Equatable {
        public var evidence: [EvidenceItem]

        public init(evidence: [EvidenceItem]) { self.evidence = evidence }
    }

    public struct FileParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        /// The file's number: 3 for E3.
        public var number: Int

        public init(reference: IncidentReference, number: Int) {
            self.reference = reference
            self.number = number
        }
    }

    /// One reply of a `Get` stream: the first carries the manifest, each after it one chunk.
    public struct GetReply: Codable, Sendable, Equatable {
        public var evidence: EvidenceItem?
        public var position: Int?
        /// The chunk's bytes, base64.
        public var data: String?

        public init(evidence: EvidenceItem? = nil, position: Int? = nil, data: String? = nil) {
            self.evidence = evidence
            self.position = position
            self.data = data
        }
    }

    public struct Verification: Codable, Sendable, Equatable {
        public var number: Int
        public var name: String
        public var sha256: String
        public var intact: Bool
        /// Why a file is not intact.
        public var problem: String?

        public init(number: Int, name: String, sha256: String, intact: Bool, problem: String? = nil) {
            self.number = number
            self.name = name
            self.sha256 = sha256
            self.intact = intact
            self.problem = problem
        }
    }

    public struct VerifyReply: Codable, Sendable, Equatable {
        public var files: [Verification]

        public init(files: [Verification]) { self.files = files }
    }

    /// One access to a file, from the audit trail.
    public struct Access: Codable, Sendable, Equatable {
        public var at: Date
        public var user: String
        public var uid: UInt32
        public var action: String
        public var outcome: String

        public init(at: Date, user: String, uid: UInt32, action: String, outcome: String) {
            self.at = at
            self.user = user
            self.uid = uid
            self.action = action
            self.outcome = outcome
        }
    }

    public struct CustodyReply: Codable, Sendable, Equatable {
        public var evidence: EvidenceItem
        /// Every audited access naming the file's hash, oldest first: the add first.
        public var accesses: [Access]

        public init(evidence: EvidenceItem, accesses: [Access]) {
            self.evidence = evidence
            self.accesses = accesses
        }
    }
}
