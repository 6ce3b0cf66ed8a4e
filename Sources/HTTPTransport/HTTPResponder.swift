import Synchronization

/// A handler that answers on the connection's I/O thread, so a request that needs no waiting crosses no thread.
///
/// Handing every request to a pool thread and its answer back costs two thread wake-ups per request, which
/// on a keep-alive connection is most of the server's CPU once decoding and deciding are fast. A handler that
/// knows which of its requests can wait (a registry round trip, a group commit) answers the rest at once and
/// sends only those elsewhere: `offload` runs blocking work on the handler pool, and `respondLater` lets a
/// thread that finishes the work asynchronously (the audit writer) answer without a pool thread waiting on it.
///
/// `handle(_:context:)`, the blocking form, still serves callers that have no responder (tests, the probe
/// listener's handler, ``HTTPHandler``-only servers).
public protocol InlineHTTPHandler: HTTPHandler {
    /// Called on an I/O thread that serves many other connections: it must not block. Answer through
    /// `responder` now, later from any thread, or through `responder.offload`.
    func handle(_ request: HTTPRequest, context: RequestContext, responder: HTTPResponder)
}

/// The one answer to one request, given once from whichever thread has it; every later answer is dropped.
///
/// An answer given on the I/O thread while the handler is still running is written as soon as the handler
/// returns, without a trip through the loop's inbox. Any other answer is posted to the loop.
public final class HTTPResponder: Sendable {
    let connection: HTTPConnection
    let loop: EventLoop
    let includeBody: Bool
    let keepAlive: Bool
    private let answered = Atomic<Bool>(false)
    /// Set on the I/O thread while the handler runs (see `giveUpAt`); read there after it returns.
    nonisolated(unsafe) private(set) var fallback: (deadline: UInt64, answer: @Sendable () -> HTTPResponse)?

    init(connection: HTTPConnection, loop: EventLoop, includeBody: Bool, keepAlive: Bool) {
        self.connection = connection
        self.loop = loop
        self.includeBody = includeBody
        self.keepAlive = keepAlive
    }

    /// Answers with `response`, unless an answer was already given.
    public func respond(_ response: HTTPResponse) {
        guard claim() else { return }
        if loop.isCurrentThread && connection.isHandlingInline(self) {
            connection.answerWhenHandlerReturns(response)
        } else {
            loop.post(.respond(self, .ready(response)))
        }
    }

    /// Answers with what `build` returns, run on the I/O thread: for a thread whose own work must stay short
    /// (the audit writer completing a batch), the response is encoded by the loop, not by it.
    public func respondLater(_ build: @escaping @Sendable () -> HTTPResponse) {
        guard claim() else { return }
        if loop.isCurrentThread && connection.isHandlingInline(self) {
            connection.answerWhenHandlerReturns(build())
        } else {
            loop.post(.respond(self, .build(build)))
        }
    }

    /// Runs `work` on the handler pool and answers with its result: for a request that may block.
    public func offload(_ work: @escaping @Sendable () -> HTTPResponse) {
        loop.workers.submit { [self] in respond(work()) }
    }

    /// Says what to answer if no answer was given by `deadline` (monotonic nanoseconds): the loop then calls
    /// `answer` on its own thread, so it must not block. For work handed to another thread that may never
    /// finish (a hung disk). Call it from the handler, before it returns; a later call replaces the earlier.
    public func giveUpAt(_ deadline: UInt64, answer: @escaping @Sendable () -> HTTPResponse) {
        precondition(loop.isCurrentThread, "giveUpAt is called from the handler, on its I/O thread")
        fallback = (deadline, answer)
    }

    /// The loop's side of `giveUpAt`: answers with the fallback unless an answer was given.
    func expire() -> HTTPResponse? {
        guard let fallback, claim() else { return nil }
        return fallback.answer()
    }

    /// The loop wrote the answer: the fallback (which often captures work referring back to this responder) goes.
    func finished() { fallback = nil }

    private func claim() -> Bool {
        !answered.exchange(true, ordering: .acquiringAndReleasing)
    }
}

/// A response as the loop receives it: made, or to be made on the loop's thread.
enum PendingResponse: Sendable {
    case ready(HTTPResponse)
    case build(@Sendable () -> HTTPResponse)

    var response: HTTPResponse {
        switch self {
        case .ready(let response): response
        case .build(let build): build()
        }
    }
}
