import Postgres

/// Why the store could not complete a call, as the layers above it need to know: the database
/// is away for now, or its disk is full (either way the call changed nothing and may be
/// retried), or something failed. The API maps this, and so never needs to know the driver's
/// error type.
public enum StoreFailure: Sendable, Equatable {
    /// `reason` is safe to show; `detail` is for the log.
    case unavailable(reason: String, detail: String)
    /// The database server could not grow a file: reads still work, writes once space is freed.
    case storageFull(detail: String)
    case failed(detail: String)

    /// The failure `error` is, when the store (or the database under it) threw it.
    public init?(_ error: any Error) {
        guard let error = error as? PostgresError else { return nil }
        if error.sqlState == .diskFull {
            self = .storageFull(detail: error.debugDescription)
        } else if error.isRetryable {
            self = .unavailable(reason: error.description, detail: error.debugDescription)
        } else {
            self = .failed(detail: error.debugDescription)
        }
    }
}
