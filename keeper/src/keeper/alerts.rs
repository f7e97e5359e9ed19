//! Low-balance alerts: a running rental whose deposit runs out soon is logged, counted and, when a
//! webhook is configured, posted to it, once per rental.

use protocol::rental::Rental;

use super::Keeper;
use crate::error::KeeperError;

impl Keeper {
    /// Alerts (once per rental) when a running rental has less than the threshold left.
    pub(super) fn low_balance(&self, rental: &Rental, now: u64) -> Result<bool, KeeperError> {
        let threshold = self.settings.low_balance_alert_secs;
        let end = rental.end();
        if threshold == 0 || rental.stopped.is_some() || end <= now || end - now >= threshold {
            return Ok(false);
        }
        let left = end - now;
        if self.index.record_alert(rental.id, left)? {
            self.metrics.low_balance_alerts.inc();
            tracing::warn!(target: "keeper::alert", rental = %rental.id, renter = %rental.terms.renter, seconds_left = left, ends_at = end, "rental deposit running low");
            if let Some(url) = &self.settings.webhook_url {
                let body = serde_json::json!({
                    "alert": "low_balance",
                    "chainId": self.chain_id,
                    "escrow": self.escrow,
                    "rentalId": rental.id,
                    "renter": rental.terms.renter,
                    "offerId": rental.terms.offerId,
                    "secondsLeft": left,
                    "endsAt": end,
                    "deposit": rental.deposit.to_string(),
                });
                let request = self.webhook.post(url).json(&body);
                tokio::spawn(async move {
                    match request.send().await {
                        Ok(r) if r.status().is_success() => {}
                        Ok(r) => {
                            tracing::warn!(target: "keeper::alert", status = r.status().as_u16(), "webhook refused the alert");
                        }
                        Err(e) => tracing::warn!(target: "keeper::alert", error = %e, "webhook unreachable"),
                    }
                });
            }
        }
        Ok(true)
    }
}
