//! tonic's own answers to requests it cannot decode, in the codes gRPC convention gives
//! them. tonic answers bytes that are not a valid message with INTERNAL (as if the server
//! were broken) and a message over the size limit with OUT_OF_RANGE; both are the
//! client's doing: INVALID_ARGUMENT and RESOURCE_EXHAUSTED. Those answers are made before
//! any handler runs, so they are rewritten here, on the way out, with a message of our
//! own (tonic's quotes decoder internals).

use futures::{TryFutureExt, future::MapOk};
use tonic::{
    Code, Status,
    codegen::http::{HeaderMap, Request, Response},
};
use tower::{Layer, Service};

/// The prefixes of the messages tonic gives those two answers.
const UNDECODABLE: &str = "failed to decode Protobuf message";
const TOO_LARGE: &str = "Error, decoded message length too large";

#[derive(Clone, Copy, Default)]
pub struct DecodeErrorsLayer;

impl<S> Layer<S> for DecodeErrorsLayer {
    type Service = DecodeErrors<S>;
    fn layer(&self, inner: S) -> Self::Service {
        DecodeErrors { inner }
    }
}

#[derive(Clone)]
pub struct DecodeErrors<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for DecodeErrors<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = MapOk<S::Future, fn(Response<ResBody>) -> Response<ResBody>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        self.inner.call(request).map_ok(|mut response| {
            rewrite(response.headers_mut());
            response
        })
    }
}

/// Rewrites a trailers-only answer (the status in the headers) made by tonic's decoder.
fn rewrite(headers: &mut HeaderMap) {
    let Some(status) = Status::from_header_map(headers) else {
        return;
    };
    let replacement = match status.code() {
        Code::Internal if status.message().starts_with(UNDECODABLE) => Status::invalid_argument(
            "the request is not a valid protobuf message of the method's type",
        ),
        Code::OutOfRange if status.message().starts_with(TOO_LARGE) => {
            Status::resource_exhausted("the request is larger than this service accepts")
        }
        _ => return,
    };
    headers.remove(Status::GRPC_MESSAGE);
    if replacement.add_header(headers).is_err() {
        tracing::warn!("could not rewrite a decoder error's status");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: &Status) -> HeaderMap {
        let mut headers = HeaderMap::new();
        status.add_header(&mut headers).expect("headers");
        headers
    }

    fn code_and_message(headers: &HeaderMap) -> (Code, String) {
        let status = Status::from_header_map(headers).expect("a status");
        (status.code(), status.message().to_owned())
    }

    #[test]
    fn undecodable_bytes_are_the_clients_fault() {
        let mut headers = answer(&Status::internal(
            "failed to decode Protobuf message: SignInRequest.user_name: invalid wire type",
        ));
        rewrite(&mut headers);
        let (code, message) = code_and_message(&headers);
        assert_eq!(code, Code::InvalidArgument);
        assert!(!message.contains("wire type"), "{message}");
    }

    #[test]
    fn oversized_requests_are_resource_exhausted() {
        let mut headers = answer(&Status::out_of_range(
            "Error, decoded message length too large: found 5000000 bytes, the limit is: 4096 bytes",
        ));
        rewrite(&mut headers);
        assert_eq!(code_and_message(&headers).0, Code::ResourceExhausted);
    }

    #[test]
    fn other_answers_are_left_alone() {
        for status in [
            Status::internal("internal error"),
            Status::out_of_range("something else"),
            Status::invalid_argument("user name must be 3 to 32 characters long"),
        ] {
            let mut headers = answer(&status);
            rewrite(&mut headers);
            assert_eq!(
                code_and_message(&headers),
                (status.code(), status.message().to_owned())
            );
        }
    }
}
