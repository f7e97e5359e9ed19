//! A provider's oracle that answers as the test says, on the oracle's routes
//! (`protocol::oracle_api`): what a real oracle would not do (another GPU model, two contradicting
//! attestations, garbage, errors, silence) and what a test wants without NVML or hooks.
//!
//! Each rental gets its own [`Reply`]; the others get the default one ([`Reply::NotFound`] unless
//! set). With the chain it serves ([`OracleChain`]) it also signs live attestations, serves the
//! live usage and checks access requests exactly as the oracle's HTTP contract says: an EIP-191
//! signature by the rental's renter over [`access_message`], a timestamp within 60 s, each
//! signature once.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::{SystemTime, UNIX_EPOCH},
};

use alloy::{
    eips::BlockNumberOrTag,
    hex,
    primitives::{Address, Signature, B256},
    providers::{DynProvider, Provider},
    signers::local::PrivateKeySigner,
};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use protocol::{
    gpu_model_hash,
    oracle_api::{
        access_message, AccessAnswer, ConnectionDetails, ErrorBody, UsageView, ACCESS_ROUTE, ACCESS_SIGNATURE_HEADER,
        ACCESS_TIMESTAMP_HEADER, ATTESTATION_ROUTE, USAGE_ROUTE,
    },
    rental_id, EscrowEvent, RentalStatus, RentalTerms, SignedAttestation, UsageAttestation,
};
use serde_json::Value;

use crate::market::GPU_MODEL;

/// Where a webhook receiver listens (`POST`; the bodies are kept, see [`FakeOracle::webhooks`]).
pub const WEBHOOK_ROUTE: &str = "/webhook";
/// The GPUs' average utilization in live attestations and usage, basis points.
pub const LIVE_UTIL_BPS: u16 = 9_300;
/// How far an access request's timestamp may be from the clock, seconds.
const ACCESS_WINDOW_SECS: u64 = 60;

/// What the fake answers to `GET` (or `POST`) of a rental's attestation.
#[derive(Debug, Clone)]
pub enum Reply {
    /// `404 {"error": "unknown rental"}`: the oracle does not know the rental.
    NotFound,
    /// Always this attestation.
    Attestation(SignedAttestation),
    /// The next of these each time; the last one again once all were served.
    Queue(VecDeque<SignedAttestation>),
    /// One signed now with the attester key, as a real oracle on a healthy host would: up to the
    /// chain's latest block, every second up but the fake's down seconds
    /// ([`FakeOracle::set_down_seconds`]), of its GPU model ([`FakeOracle::set_gpu_model`]), a seq
    /// one higher each time. Needs the chain ([`FakeOracle::start_on`]).
    Live,
    /// `200` with a JSON body that is no attestation.
    Garbage,
    /// An empty answer with this status.
    Status(u16),
    /// No answer at all: the request hangs until the client gives up.
    Hang,
}

/// How the fake answers a renter's verified access request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Access {
    /// `200`, ready: `ssh -p 2222 renter@127.0.0.1`.
    #[default]
    Ready,
    /// `202`, still provisioning: attempt 3, the last one timed out.
    Provisioning,
    /// `410`: the rental ended and access was removed.
    Gone,
}

/// The chain a fake oracle serves: where it finds rentals and how it signs.
#[derive(Debug, Clone)]
pub struct OracleChain {
    /// Reads the escrow's events and the latest block.
    pub provider: DynProvider,
    /// The chain id of the EIP-712 domain and of access messages.
    pub chain_id: u64,
    /// The escrow.
    pub escrow: Address,
    /// The provider's attester key.
    pub attester: PrivateKeySigner,
}

#[derive(Debug)]
struct Answers {
    replies: HashMap<B256, Reply>,
    default: Reply,
    seqs: HashMap<B256, u64>,
    gpu_model: String,
    down_seconds: u64,
    access: Access,
    seen_signatures: HashSet<String>,
    granted: Vec<Address>,
    webhooks: Vec<Value>,
    requests: usize,
}

#[derive(Debug)]
struct Shared {
    chain: Option<OracleChain>,
    answers: Mutex<Answers>,
}

/// Aborts the server when the last handle on the fake is dropped.
#[derive(Debug)]
struct Server(tokio::task::AbortHandle);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A fake oracle serving on a free port of the test's runtime until its last clone is dropped.
#[derive(Debug, Clone)]
pub struct FakeOracle {
    shared: Arc<Shared>,
    url: String,
    _server: Arc<Server>,
}

impl FakeOracle {
    /// A fake that only serves the replies it is given (no chain: no live replies, usage or access).
    pub async fn start() -> Self {
        Self::serve(None).await
    }

    /// A fake that also knows `chain`: live attestations, usage and access checks.
    pub async fn start_on(chain: OracleChain) -> Self {
        Self::serve(Some(chain)).await
    }

    async fn serve(chain: Option<OracleChain>) -> Self {
        let shared = Arc::new(Shared {
            chain,
            answers: Mutex::new(Answers {
                replies: HashMap::new(),
                default: Reply::NotFound,
                seqs: HashMap::new(),
                gpu_model: GPU_MODEL.to_owned(),
                down_seconds: 0,
                access: Access::Ready,
                seen_signatures: HashSet::new(),
                granted: Vec::new(),
                webhooks: Vec::new(),
                requests: 0,
            }),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port for the fake oracle");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let app = Router::new()
            .route(ATTESTATION_ROUTE, get(attestation).post(attestation))
            .route(USAGE_ROUTE, get(usage))
            .route(ACCESS_ROUTE, get(access))
            .route(WEBHOOK_ROUTE, post(webhook))
            .with_state(shared.clone());
        let task = tokio::spawn(async move { axum::serve(listener, app).await.expect("the fake oracle serves") });
        Self {
            shared,
            url,
            _server: Arc::new(Server(task.abort_handle())),
        }
    }

    /// The base URL, as a provider registers it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the fake receives webhooks.
    pub fn webhook_url(&self) -> String {
        format!("{}{WEBHOOK_ROUTE}", self.url)
    }

    fn answers(&self) -> MutexGuard<'_, Answers> {
        self.shared.answers.lock().expect("the fake oracle's state")
    }

    /// Answers `reply` for the rental `id`.
    pub fn reply(&self, id: B256, reply: Reply) {
        self.answers().replies.insert(id, reply);
    }

    /// Serves `attestations` for the rental of `terms`, in this order, the last one again and again.
    pub fn queue(&self, terms: &RentalTerms, attestations: Vec<SignedAttestation>) {
        assert!(!attestations.is_empty(), "queue at least one attestation");
        self.reply(rental_id(terms), Reply::Queue(attestations.into()));
    }

    /// Answers `reply` for every rental without a reply of its own.
    pub fn set_default(&self, reply: Reply) {
        self.answers().default = reply;
    }

    /// The GPU model live attestations name (the offer's H100 unless a test swaps the hardware).
    pub fn set_gpu_model(&self, model: &str) {
        model.clone_into(&mut self.answers().gpu_model);
    }

    /// Seconds of downtime live attestations and usage count for every rental.
    pub fn set_down_seconds(&self, seconds: u64) {
        self.answers().down_seconds = seconds;
    }

    /// How verified access requests are answered from now on.
    pub fn set_access(&self, access: Access) {
        self.answers().access = access;
    }

    /// The signers of the access requests that verified, in order.
    pub fn granted(&self) -> Vec<Address> {
        self.answers().granted.clone()
    }

    /// The webhook bodies received, in order.
    pub fn webhooks(&self) -> Vec<Value> {
        self.answers().webhooks.clone()
    }

    /// The attestation requests received so far, answered or not (with [`Reply::Hang`], none is
    /// answered and none of their connections is reused: one per connection).
    pub fn requests(&self) -> usize {
        self.answers().requests
    }
}

impl Shared {
    fn answers(&self) -> MutexGuard<'_, Answers> {
        self.answers.lock().expect("the fake oracle's state")
    }

    fn chain(&self) -> Result<&OracleChain, Refusal> {
        self.chain.as_ref().ok_or(Refusal(
            StatusCode::NOT_IMPLEMENTED,
            "this fake oracle has no chain: start it with FakeOracle::start_on",
        ))
    }

    /// The terms of rental `id` from the escrow's `RentalOpened`, or a 404.
    async fn terms(&self, id: B256) -> Result<RentalTerms, Refusal> {
        let chain = self.chain()?;
        let head = chain.provider.get_block_number().await.expect("the chain answers");
        protocol::fetch_events(&chain.provider, chain.escrow, 0, head)
            .await
            .expect("the escrow's events")
            .into_iter()
            .find_map(|e| match e.event {
                EscrowEvent::RentalOpened { rental_id, terms, .. } if rental_id == id => Some(terms),
                _ => None,
            })
            .ok_or(Refusal(StatusCode::NOT_FOUND, "unknown rental"))
    }

    async fn now(&self) -> Result<u64, Refusal> {
        let block = self
            .chain()?
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .expect("the chain answers")
            .expect("a latest block");
        Ok(block.header.timestamp)
    }

    /// A live attestation of `id`, signed now.
    async fn live(&self, id: B256) -> Result<SignedAttestation, Refusal> {
        let terms = self.terms(id).await?;
        let now = self.now().await?;
        let chain = self.chain()?;
        let (seq, model, down) = {
            let mut answers = self.answers();
            let seq = answers.seqs.entry(id).or_insert(0);
            *seq += 1;
            (*seq, answers.gpu_model.clone(), answers.down_seconds)
        };
        let elapsed = now.saturating_sub(terms.startedAt.to());
        Ok(UsageAttestation {
            rentalId: id,
            seq,
            periodEnd: now,
            uptimeSeconds: elapsed.saturating_sub(down),
            gpuModelHash: gpu_model_hash(&model),
            gpuUuidsHash: B256::repeat_byte(0x11),
            energyJoules: elapsed * 650,
            avgUtilBps: LIVE_UTIL_BPS,
        }
        .sign(&chain.attester, &protocol::domain(chain.chain_id, chain.escrow))
        .expect("the attester signs"))
    }
}

/// An error answer: its status and `{"error": message}`.
#[derive(Debug, Clone, Copy)]
struct Refusal(StatusCode, &'static str);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(ErrorBody {
                error: self.1.to_owned(),
            }),
        )
            .into_response()
    }
}

/// What one request gets, taken from a reply (a queue moves on).
enum Next {
    Send(Box<SignedAttestation>),
    NotFound,
    Live,
    Garbage,
    Status(u16),
    Hang,
}

fn next(reply: &mut Reply) -> Next {
    match reply {
        Reply::NotFound => Next::NotFound,
        Reply::Attestation(signed) => Next::Send(Box::new(signed.clone())),
        Reply::Queue(queue) => {
            let next = if queue.len() > 1 {
                queue.pop_front()
            } else {
                queue.front().cloned()
            };
            next.map_or(Next::NotFound, |signed| Next::Send(Box::new(signed)))
        }
        Reply::Live => Next::Live,
        Reply::Garbage => Next::Garbage,
        Reply::Status(code) => Next::Status(*code),
        Reply::Hang => Next::Hang,
    }
}

async fn attestation(State(shared): State<Arc<Shared>>, Path(id): Path<B256>) -> Response {
    let step = {
        let mut answers = shared.answers();
        let answers = &mut *answers;
        answers.requests += 1;
        next(answers.replies.get_mut(&id).unwrap_or(&mut answers.default))
    };
    match step {
        Next::Send(signed) => Json(signed).into_response(),
        Next::NotFound => Refusal(StatusCode::NOT_FOUND, "unknown rental").into_response(),
        Next::Live => shared.live(id).await.map(Json).into_response(),
        Next::Garbage => (StatusCode::OK, "{\"attestation\": 42, \"garbage\": true}").into_response(),
        Next::Status(code) => StatusCode::from_u16(code)
            .unwrap_or_else(|_| panic!("{code} is not an HTTP status"))
            .into_response(),
        Next::Hang => std::future::pending().await,
    }
}

async fn usage(State(shared): State<Arc<Shared>>, Path(id): Path<B256>) -> Response {
    usage_view(&shared, id).await.map(Json).into_response()
}

/// A running rental's live view, every second up but the down seconds.
async fn usage_view(shared: &Shared, id: B256) -> Result<UsageView, Refusal> {
    let terms = shared.terms(id).await?;
    let now = shared.now().await?;
    let down = shared.answers().down_seconds;
    let started_at: u64 = terms.startedAt.to();
    let elapsed = now.saturating_sub(started_at);
    Ok(UsageView {
        rental_id: id,
        offer_id: terms.offerId,
        status: RentalStatus::Running,
        gpus: vec!["GPU-0".into()],
        started_at,
        ends_at: u64::MAX,
        ended: false,
        closed: false,
        elapsed_seconds: elapsed,
        uptime_seconds: elapsed.saturating_sub(down),
        counted_until: now,
        avg_util_bps: LIVE_UTIL_BPS,
        energy_joules: elapsed * 650,
        last_seq: 0,
        provisioned_at: None,
    })
}

async fn access(State(shared): State<Arc<Shared>>, Path(id): Path<B256>, headers: HeaderMap) -> Response {
    check_access(&shared, id, &headers).await.into_response()
}

/// `GET` [`ACCESS_ROUTE`], checked as the oracle's contract says.
async fn check_access(shared: &Shared, id: B256, headers: &HeaderMap) -> Result<Response, Refusal> {
    let unauthorized = |message: &'static str| Refusal(StatusCode::UNAUTHORIZED, message);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (Some(timestamp), Some(signature)) = (header(ACCESS_TIMESTAMP_HEADER), header(ACCESS_SIGNATURE_HEADER)) else {
        return Err(unauthorized("missing X-Access-Timestamp or X-Access-Signature"));
    };
    let timestamp: u64 = timestamp.parse().map_err(|_| unauthorized("malformed timestamp"))?;
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    if wall.abs_diff(timestamp) > ACCESS_WINDOW_SECS {
        return Err(unauthorized("stale timestamp"));
    }
    let bytes = signature
        .strip_prefix("0x")
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(|| unauthorized("malformed signature"))?;
    if bytes.len() != 65 || !matches!(bytes[64], 27 | 28) {
        return Err(unauthorized("the signature must be 65 bytes r||s||v"));
    }
    let parsed = Signature::try_from(bytes.as_slice()).map_err(|_| unauthorized("malformed signature"))?;
    let chain = shared.chain()?;
    let message = access_message(chain.chain_id, chain.escrow, id, timestamp);
    let signer = parsed
        .recover_address_from_msg(message.as_bytes())
        .map_err(|_| unauthorized("signature does not recover"))?;
    if !shared.answers().seen_signatures.insert(signature.to_lowercase()) {
        return Err(unauthorized("replayed signature"));
    }
    let terms = shared.terms(id).await?;
    if signer != terms.renter {
        return Err(Refusal(
            StatusCode::FORBIDDEN,
            "the signer is not the renter of this rental",
        ));
    }
    let mode = {
        let mut answers = shared.answers();
        answers.granted.push(signer);
        answers.access
    };
    Ok(match mode {
        Access::Ready => Json(AccessAnswer::ready(
            id,
            ConnectionDetails {
                host: "127.0.0.1".into(),
                port: 2222,
                user: "renter".into(),
                notes: Some("GPU 0".into()),
            },
        ))
        .into_response(),
        Access::Provisioning => (
            StatusCode::ACCEPTED,
            Json(AccessAnswer::Provisioning {
                rental_id: id,
                attempts: 3,
                last_error: Some("hook timed out".into()),
            }),
        )
            .into_response(),
        Access::Gone => Refusal(StatusCode::GONE, "rental ended: access removed").into_response(),
    })
}

async fn webhook(State(shared): State<Arc<Shared>>, Json(body): Json<Value>) -> StatusCode {
    shared.answers().webhooks.push(body);
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use protocol::oracle_api::OracleEndpoint;

    use super::*;
    use crate::process::{http_get, http_status};

    fn signed(seq: u64) -> SignedAttestation {
        UsageAttestation {
            rentalId: B256::repeat_byte(1),
            seq,
            ..Default::default()
        }
        .sign(&PrivateKeySigner::random(), &protocol::domain(1, Address::ZERO))
        .unwrap()
    }

    /// `GET url` off the runtime's threads; `(0, "")` when nothing answers within a second.
    async fn get(url: String) -> (u16, String) {
        tokio::task::spawn_blocking(move || http_get(&url).unwrap_or_default())
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn replies_per_rental_queue_then_repeat_and_the_default_is_not_found() {
        let fake = FakeOracle::start().await;
        let endpoint = OracleEndpoint::parse(fake.url()).unwrap();
        let (queued, fixed, failing) = (B256::repeat_byte(1), B256::repeat_byte(2), B256::repeat_byte(3));
        fake.reply(queued, Reply::Queue([signed(1), signed(2)].into()));
        fake.reply(fixed, Reply::Attestation(signed(7)));
        fake.reply(failing, Reply::Status(503));

        let seq = |body: &str| serde_json::from_str::<SignedAttestation>(body).unwrap().attestation.seq;
        let mut seqs = Vec::new();
        for _ in 0..3 {
            let (status, body) = get(endpoint.attestation_url(queued)).await;
            assert_eq!(status, 200);
            seqs.push(seq(&body));
        }
        assert_eq!(seqs, [1, 2, 2], "in order, then the last one again");
        assert_eq!(seq(&get(endpoint.attestation_url(fixed)).await.1), 7);
        assert_eq!(get(endpoint.attestation_url(failing)).await.0, 503);
        let (status, body) = get(endpoint.attestation_url(B256::repeat_byte(9))).await;
        assert_eq!((status, body.contains("unknown rental")), (404, true));
        fake.set_default(Reply::Garbage);
        let (status, body) = get(endpoint.attestation_url(B256::repeat_byte(9))).await;
        assert_eq!(status, 200);
        assert!(serde_json::from_str::<SignedAttestation>(&body).is_err(), "{body}");
        assert_eq!(get(endpoint.usage_url(queued)).await.0, 501, "usage needs the chain");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hanging_reply_never_answers_and_dropping_the_fake_stops_it() {
        let fake = FakeOracle::start().await;
        let id = B256::repeat_byte(4);
        fake.reply(id, Reply::Hang);
        let oracle = OracleEndpoint::parse(fake.url()).unwrap();
        assert_eq!(
            get(oracle.attestation_url(id)).await,
            (0, String::new()),
            "no answer within a second"
        );
        let health = oracle.usage_url(id);
        drop(fake);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            tokio::task::spawn_blocking(move || http_status(&health)).await.unwrap(),
            None,
            "nothing listens once the fake is dropped"
        );
    }
}
