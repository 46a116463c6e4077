//! From the stored, provider-neutral message to what `berth-push` sends to one device.

use berth_core::push::{ClaimedDelivery, NotificationMessage, PushProvider};
use berth_push::{PushMessage, PushTarget};
use serde_json::Value;

pub fn target(delivery: &ClaimedDelivery) -> PushTarget {
    match delivery.provider {
        PushProvider::Apns => PushTarget::Apns {
            device_token: delivery.token.clone(),
        },
        PushProvider::Fcm => PushTarget::Fcm {
            registration_token: delivery.token.clone(),
        },
    }
}

/// The message for one delivery: its stable id (`apns-id`) and a collapse id per notification, so
/// a device that receives the same notification twice (a resend after a crash) shows it once.
pub fn message(message: &NotificationMessage, delivery: &ClaimedDelivery) -> PushMessage {
    let data = match delivery.provider {
        PushProvider::Apns => message.apns_extra.clone(),
        PushProvider::Fcm => message.fcm_data.clone(),
    };
    let fcm_message_override = message.fcm_message.clone().map(|mut fcm| {
        if let Value::Object(object) = &mut fcm {
            let android = object
                .entry("android")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Value::Object(android) = android {
                android
                    .entry("collapse_key")
                    .or_insert_with(|| Value::from(delivery.collapse_id()));
            }
        }
        fcm
    });
    PushMessage {
        title: message.title.clone(),
        body: message.body.clone(),
        badge: message.badge,
        sound: message.sound.clone(),
        data,
        apns_payload_override: message.apns_payload.clone(),
        fcm_message_override,
        collapse_id: Some(delivery.collapse_id()),
        delivery_id: Some(delivery.delivery_id()),
        ttl: None,
        high_priority: true,
    }
}
