//! The busy room: one user posts the marked messages into the lobby at a fixed rate,
//! over gRPC like any client, and notes when each Send started (latency is measured from
//! there, so it includes the server's part).

use crate::figures::{histogram, record};
use crate::marker;
use anyhow::Result;
use chat_protocol::chat::v1::{SendRequest, chat_service_client::ChatServiceClient};
use chat_test_support::process::authed;
use hdrhistogram::Histogram;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

pub struct Poster {
    pub chat: ChatServiceClient<Channel>,
    pub token: String,
}

pub struct Posted {
    /// When the Send of each message started; `None` if the server refused it.
    pub sent: Vec<Option<Instant>>,
    /// The Sends' round trips, in microseconds.
    pub send_latency: Histogram<u64>,
    pub errors: u64,
    pub last_error: Option<String>,
}

impl Posted {
    pub fn confirmed(&self) -> usize {
        self.sent.iter().flatten().count()
    }
}

impl Poster {
    /// Posts `messages` messages, message `i` due at `i × interval` from now; a late Send
    /// does not push the ones after it back (the rate is the rate).
    pub async fn post(&self, messages: usize, interval: Duration) -> Result<Posted> {
        let mut posted = Posted {
            sent: vec![None; messages],
            send_latency: histogram()?,
            errors: 0,
            last_error: None,
        };
        let started = tokio::time::Instant::now();
        for (index, sent) in posted.sent.iter_mut().enumerate() {
            tokio::time::sleep_until(started + interval.mul_f64(index as f64)).await;
            let request = SendRequest {
                content: marker::content(index),
                ..SendRequest::default()
            };
            let t0 = Instant::now();
            match self.chat.clone().send(authed(request, &self.token)).await {
                Ok(_) => {
                    *sent = Some(t0);
                    record(&mut posted.send_latency, t0.elapsed());
                }
                Err(status) => {
                    posted.errors += 1;
                    posted.last_error =
                        Some(format!("Send: {:?}: {}", status.code(), status.message()));
                }
            }
        }
        Ok(posted)
    }
}
