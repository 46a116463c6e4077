//! The delivery worker: expands due notifications into the outbox batch by batch, claims due
//! deliveries under a lease, sends them with a concurrency limit per provider, and records outcomes.
//! Several workers (nodes) may run against one database: claims never overlap, and a crashed node's
//! claims are taken over when their lease ends.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use berth_core::Berth;
use berth_core::push::{
    ClaimedDelivery, DeliveryResult, NotificationMessage, PushCredentials, PushProvider,
    RetryPolicy, SettledDelivery,
};
use berth_core::timestamp::Timestamp;
use berth_push::{DeliveryOutcome, ProviderCredentials, PushClient};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use uuid::Uuid;

use super::payload;

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub poll: Duration,
    pub batch: u32,
    pub concurrency: usize,
    pub lease: Duration,
    pub retry: RetryPolicy,
}

pub struct PushWorker {
    berth: Berth,
    client: Arc<PushClient>,
    settings: WorkerSettings,
    /// This node's name on its leases.
    owner: String,
    apns_slots: Arc<Semaphore>,
    fcm_slots: Arc<Semaphore>,
}

/// Per batch: each backend's credentials (or why there are none) and each notification's message.
#[derive(Default)]
struct BatchContext {
    /// `Err` holds why the settings cannot be read (e.g. the secret key changed).
    credentials: HashMap<Uuid, Result<Option<Arc<PushCredentials>>, String>>,
    messages: HashMap<(Uuid, i64), Option<Arc<NotificationMessage>>>,
}

impl PushWorker {
    pub fn new(berth: Berth, client: PushClient, settings: WorkerSettings) -> Self {
        let owner = format!(
            "{}-{}",
            std::process::id(),
            berth_core::ids::new_opaque_id().simple()
        );
        Self {
            berth,
            client: Arc::new(client),
            apns_slots: Arc::new(Semaphore::new(settings.concurrency)),
            fcm_slots: Arc::new(Semaphore::new(settings.concurrency)),
            settings,
            owner,
        }
    }

    /// Works until `shutdown` turns true; a batch in flight is finished and recorded first, so no
    /// lease is left behind by a clean stop.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(
            owner = %self.owner,
            batch = self.settings.batch,
            concurrency = self.settings.concurrency,
            "push worker started"
        );
        loop {
            if *shutdown.borrow() {
                break;
            }
            let busy = match self.step().await {
                Ok(busy) => busy,
                Err(error) => {
                    tracing::warn!(%error, "push worker step failed; retrying after the poll interval");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    () = tokio::time::sleep(self.settings.poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tracing::info!("push worker stopped");
    }

    /// One round: expand a batch of targets if a notification is due, then deliver a batch.
    /// Whether there was anything to do.
    async fn step(&self) -> berth_core::Result<bool> {
        let mut busy = false;
        if let Some((backend_id, notification_id, added)) =
            self.berth.expand_due_push(self.settings.batch).await?
        {
            busy = true;
            tracing::info!(backend = %backend_id, notification = notification_id, devices = added, "push: devices queued");
        }
        let claimed = self
            .berth
            .claim_push_deliveries(&self.owner, self.settings.lease, self.settings.batch)
            .await?;
        if claimed.is_empty() {
            return Ok(busy);
        }
        let settled = self.deliver(claimed).await;
        let mut tally = [0usize; 4];
        for item in &settled {
            tally[match item.result {
                DeliveryResult::Sent => 0,
                DeliveryResult::Retry { .. } => 1,
                DeliveryResult::Failed { .. } => 2,
                DeliveryResult::TokenInvalid { .. } => 3,
            }] += 1;
        }
        let recorded = self
            .berth
            .settle_push_deliveries(&self.owner, &settled)
            .await?;
        tracing::info!(
            sent = tally[0],
            retry = tally[1],
            failed = tally[2],
            invalid = tally[3],
            recorded,
            "push: batch delivered"
        );
        Ok(true)
    }

    async fn deliver(&self, claimed: Vec<ClaimedDelivery>) -> Vec<SettledDelivery> {
        let mut context = BatchContext::default();
        let mut tasks = JoinSet::new();
        let mut settled = Vec::with_capacity(claimed.len());
        let mut spawned = Vec::with_capacity(claimed.len());
        for delivery in claimed {
            let credentials = match self.credentials(&mut context, &delivery).await {
                Ok(credentials) => credentials,
                Err(result) => {
                    settled.push(SettledDelivery { delivery, result });
                    continue;
                }
            };
            let message = match self.message(&mut context, &delivery).await {
                Ok(message) => message,
                Err(result) => {
                    settled.push(SettledDelivery { delivery, result });
                    continue;
                }
            };
            let slots = match delivery.provider {
                PushProvider::Apns => self.apns_slots.clone(),
                PushProvider::Fcm => self.fcm_slots.clone(),
            };
            spawned.push(delivery.clone());
            let client = self.client.clone();
            let retry = self.settings.retry;
            tasks.spawn(async move {
                let outcome = match slots.acquire_owned().await {
                    Ok(_permit) => {
                        let push_message = payload::message(&message, &delivery);
                        client
                            .send(&credentials, &payload::target(&delivery), &push_message)
                            .await
                    }
                    Err(_) => DeliveryOutcome::Retry {
                        after: None,
                        reason: "the worker is stopping".into(),
                    },
                };
                let result = result_of(outcome, delivery.attempts, &retry);
                SettledDelivery { delivery, result }
            });
        }
        // The batch must be recorded while this node still holds it: sends still running when most of
        // the lease is gone are abandoned and retried, so no other node takes them over meanwhile.
        let deadline = tokio::time::Instant::now() + self.settings.lease.mul_f64(0.8);
        loop {
            match tokio::time::timeout_at(deadline, tasks.join_next()).await {
                Ok(Some(Ok(item))) => settled.push(item),
                // A panicking send leaves its delivery leased; the lease expiry brings it back.
                Ok(Some(Err(error))) => tracing::error!(%error, "push send task failed"),
                Ok(None) => break,
                Err(_) => {
                    tasks.abort_all();
                    let done: std::collections::HashSet<(Uuid, i64, i64)> =
                        settled.iter().map(|s| key(&s.delivery)).collect();
                    for delivery in spawned {
                        if !done.contains(&key(&delivery)) {
                            let timed_out = DeliveryOutcome::Retry {
                                after: None,
                                reason: "the provider did not answer within the lease".into(),
                            };
                            let result =
                                result_of(timed_out, delivery.attempts, &self.settings.retry);
                            settled.push(SettledDelivery { delivery, result });
                        }
                    }
                    tracing::warn!(
                        "push: sends still running near the end of the lease were abandoned for a retry"
                    );
                    break;
                }
            }
        }
        settled
    }

    async fn credentials(
        &self,
        context: &mut BatchContext,
        delivery: &ClaimedDelivery,
    ) -> Result<ProviderCredentials, DeliveryResult> {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            context.credentials.entry(delivery.backend_id)
        {
            let loaded = match self.berth.push_credentials(delivery.backend_id).await {
                Ok(found) => Ok(found.map(Arc::new)),
                Err(error) => {
                    tracing::warn!(%error, backend = %delivery.backend_id, "push credentials unreadable");
                    Err(format!(
                        "The backend's push settings cannot be read: {error}"
                    ))
                }
            };
            slot.insert(loaded);
        }
        let credentials = match context.credentials.get(&delivery.backend_id) {
            Some(Ok(credentials)) => credentials.clone(),
            Some(Err(reason)) => {
                return Err(DeliveryResult::Failed {
                    reason: reason.clone(),
                });
            }
            None => None,
        };
        let missing = |provider: &str| DeliveryResult::Failed {
            reason: format!("The backend has no {provider} settings."),
        };
        match delivery.provider {
            PushProvider::Apns => {
                let apns = credentials
                    .as_ref()
                    .and_then(|c| c.apns.as_ref())
                    .ok_or_else(|| missing("APNs"))?;
                let gateway = delivery.gateway.unwrap_or(apns.environment);
                Ok(ProviderCredentials::Apns(super::apns_credentials(
                    apns, gateway,
                )))
            }
            PushProvider::Fcm => {
                let fcm = credentials
                    .as_ref()
                    .and_then(|c| c.fcm.as_ref())
                    .ok_or_else(|| missing("FCM"))?;
                Ok(ProviderCredentials::Fcm(super::fcm_credentials(fcm)))
            }
        }
    }

    async fn message(
        &self,
        context: &mut BatchContext,
        delivery: &ClaimedDelivery,
    ) -> Result<Arc<NotificationMessage>, DeliveryResult> {
        let key = (delivery.backend_id, delivery.notification_id);
        if let std::collections::hash_map::Entry::Vacant(slot) = context.messages.entry(key) {
            let loaded = self
                .berth
                .notification(delivery.backend_id, delivery.notification_id)
                .await
                .ok()
                .map(|notification| Arc::new(notification.spec.message));
            slot.insert(loaded);
        }
        context
            .messages
            .get(&key)
            .cloned()
            .flatten()
            .ok_or_else(|| DeliveryResult::Failed {
                reason: "The notification is gone.".into(),
            })
    }
}

fn key(delivery: &ClaimedDelivery) -> (Uuid, i64, i64) {
    (
        delivery.backend_id,
        delivery.notification_id,
        delivery.registration_seq,
    )
}

/// What to record for a provider's answer: retries are scheduled with backoff (at least the
/// provider's `Retry-After`) until the attempts are used up.
fn result_of(outcome: DeliveryOutcome, attempts: u32, retry: &RetryPolicy) -> DeliveryResult {
    match outcome {
        DeliveryOutcome::Delivered { .. } => DeliveryResult::Sent,
        DeliveryOutcome::TokenInvalid { reason } => DeliveryResult::TokenInvalid { reason },
        DeliveryOutcome::Rejected { reason } => DeliveryResult::Failed { reason },
        DeliveryOutcome::Retry { after, reason } => match retry.next_delay(attempts, after) {
            Some(delay) => DeliveryResult::Retry {
                at: Timestamp::from_millis(
                    Timestamp::now()
                        .as_millis()
                        .saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)),
                ),
                reason,
            },
            None => DeliveryResult::Failed {
                reason: format!("gave up after {attempts} attempts: {reason}"),
            },
        },
    }
}
