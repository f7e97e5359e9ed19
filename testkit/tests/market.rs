//! The fixtures against a real anvil: the knobs of a market take effect, its deployment file loads
//! back, time moves on request, and the fake oracle signs what the escrow accepts and checks
//! access as the oracle's contract says.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

use alloy::{
    primitives::U256,
    signers::{local::PrivateKeySigner, SignerSync},
};
use protocol::{
    oracle_api::{access_message, OracleEndpoint, ACCESS_SIGNATURE_HEADER, ACCESS_TIMESTAMP_HEADER},
    rental_id, Deployment, SignedAttestation,
};
use testkit::{
    mined,
    process::{http_get, http_request},
    Access, Market, Reply, Token, GPU_MODEL, KEEPER, RENTER,
};

const USDC: u64 = 1_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_market_is_set_up_as_its_knobs_say_and_its_deployment_loads_back() {
    let m = Market::builder()
        .fee_bps(250)
        .bonds(U256::from(100 * USDC), U256::from(5 * USDC))
        .token(Token::erc20("Dai Stablecoin", "DAI", 18))
        .token(Token::native())
        .offer(|o| o.capacity = 2)
        .start()
        .await;
    assert_eq!(
        m.bond().await,
        (U256::from(100 * USDC), 0),
        "the provider bonded the minimum"
    );
    let offer = m.escrow_as(&m.renter).offer(m.offer_id).call().await.unwrap();
    assert_eq!(offer.gpuModelHash, protocol::gpu_model_hash(GPU_MODEL));
    assert_eq!(offer.capacity, 2);
    assert_eq!(offer.token, m.usdc);
    assert_eq!(m.tokens.keys().collect::<Vec<_>>(), ["DAI", "USDC"], "ERC-20s only");

    let (terms, receipt) = m.open(m.deposit_for(3_600), 1).await;
    assert_eq!(terms.feeBps, 250);
    assert_eq!(terms.renter, m.address(RENTER));
    assert_eq!(m.chain.block_time(&receipt).await, terms.startedAt.to::<u64>());
    assert_eq!(m.terms(rental_id(&terms)).await, Some(terms.clone()));
    assert_eq!(m.balance(m.escrow).await, m.deposit_for(3_600));
    let now = m.chain.now().await;
    assert!(m.chain.advance(600).await >= now + 600);

    let loaded = Deployment::load(m.dir.join("deployments"), m.chain.chain_id());
    assert!(loaded.is_err(), "nothing written yet");
    let path = m.write_deployment(&m.dir.join("deployments"));
    assert_eq!(Deployment::from_file(&path).unwrap(), m.deployment());
    assert_eq!(m.deployment().token("DAI"), Some(m.tokens["DAI"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_oracle_signs_live_what_the_escrow_accepts_and_grants_access_to_the_renter_only() {
    let m = Market::builder().fake_oracle().start().await;
    let fake = m.fake();
    assert_eq!(m.endpoint, fake.url(), "registered as the provider's endpoint");
    let terms = m.rent(3_600, 1).await;
    let id = rental_id(&terms);
    let endpoint = OracleEndpoint::parse(fake.url()).unwrap();
    let get = |url: String| async move {
        tokio::task::spawn_blocking(move || http_get(&url).unwrap())
            .await
            .unwrap()
    };

    // Queued for this rental, then live for every rental once it is the default.
    let queued = m.attest(&terms, (1, terms.startedAt.to::<u64>() + 1, 1));
    fake.queue(&terms, vec![queued.clone()]);
    let (status, body) = get(endpoint.attestation_url(id)).await;
    assert_eq!(
        (status, serde_json::from_str::<SignedAttestation>(&body).unwrap()),
        (200, queued)
    );
    fake.reply(id, Reply::Live);
    fake.set_down_seconds(30);
    m.chain.advance(600).await;
    let (status, body) = get(endpoint.attestation_url(id)).await;
    assert_eq!(status, 200, "{body}");
    let live: SignedAttestation = serde_json::from_str(&body).unwrap();
    live.verify(&m.domain(), m.attester.address()).unwrap();
    assert_eq!(
        live.attestation.uptimeSeconds + 30,
        live.attestation.periodEnd - terms.startedAt.to::<u64>()
    );
    let (usage, signature) = live.onchain_usage();
    mined(m.escrow_as(&m.renter).stopAndSettle(terms, usage, signature)).await;
    let (status, body) = get(endpoint.usage_url(id)).await;
    assert_eq!(status, 200, "{body}");

    // Access: the renter's fresh signature only, once each.
    let ask = |signer: &PrivateKeySigner| {
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let message = access_message(m.chain.chain_id(), m.escrow, id, timestamp);
        let signature = signer.sign_message_sync(message.as_bytes()).unwrap();
        let (url, fresh) = (
            endpoint.access_url(id),
            format!("0x{}", alloy::hex::encode(signature.as_bytes())),
        );
        let headers = [
            (ACCESS_TIMESTAMP_HEADER.to_owned(), timestamp.to_string()),
            (ACCESS_SIGNATURE_HEADER.to_owned(), fresh),
        ];
        async move {
            tokio::task::spawn_blocking(move || {
                let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                http_request("GET", &url, &headers).unwrap().0
            })
            .await
            .unwrap()
        }
    };
    assert_eq!(ask(&m.renter).await, 200);
    assert_eq!(ask(&m.key(KEEPER)).await, 403);
    fake.set_access(Access::Gone);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(ask(&m.renter).await, 410);
    assert_eq!(fake.granted(), [m.address(RENTER), m.address(RENTER)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_provider_gets_its_own_offer_and_pipelined_rentals_open_in_salt_order() {
    let m = Market::builder()
        .bonds(U256::from(100 * USDC), U256::from(5 * USDC))
        .fake_oracle()
        .start()
        .await;
    let second = m.add_provider(7, 8, m.fake().url(), |o| o.capacity = 100).await;
    assert_ne!(second, m.offer_id);
    let offer = m.escrow_as(&m.renter).offer(second).call().await.unwrap();
    assert_eq!((offer.provider, offer.capacity), (m.address(7), 100));

    let opened = m.open_pipelined(second, 20, 600, 100).await;
    let salts: Vec<_> = opened.iter().map(|t| t.salt).collect();
    assert_eq!(salts, (100..120).map(testkit::market::salt).collect::<Vec<_>>());
    assert!(opened
        .iter()
        .all(|t| t.offerId == second && t.renter == m.address(RENTER)));
    assert_eq!(m.balance(m.escrow).await, m.deposit_for(600) * U256::from(20));

    // A hung oracle: asked, never answers.
    m.fake().set_default(Reply::Hang);
    let url = OracleEndpoint::parse(m.fake().url())
        .unwrap()
        .attestation_url(rental_id(&opened[0]));
    let answer = tokio::task::spawn_blocking(move || http_get(&url)).await.unwrap();
    assert_eq!(answer, None);
    assert_eq!(m.fake().requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_rentals_open_over_more_full_blocks_than_the_fee_estimate_covers() {
    use alloy::providers::{ext::AnvilApi, Provider};
    let m = Market::builder().offer(|o| o.capacity = 200).start().await;
    // Two opens (150k gas each, ~90k used) fill a block: 120 take 60 blocks, each 20 % above the
    // gas target, which lift the base fee above the estimate's cap (twice the base fee now).
    assert!(m.chain.deployer.anvil_set_block_gas_limit(300_000).await.unwrap());
    let before = m.chain.deployer.get_block_number().await.unwrap();
    let cap = m.chain.deployer.estimate_eip1559_fees().await.unwrap().max_fee_per_gas;
    let opened = m.open_pipelined(m.offer_id, 120, 600, 1).await;
    assert_eq!(opened.len(), 120);
    let head = m.chain.deployer.get_block_number().await.unwrap();
    let last = m
        .chain
        .deployer
        .get_block_by_number(head.into())
        .await
        .unwrap()
        .unwrap();
    let base_fee = u128::from(last.header.base_fee_per_gas.unwrap());
    assert!(
        base_fee > cap,
        "the base fee rose above the estimate's cap over {} blocks: {base_fee} ≤ {cap}",
        head - before
    );
}
