// Devices and push notifications. The push outbox and the device listing are being built on
// another branch; these pages say so until those APIs land, and the tabs are already in place.
import { card, h } from "../dom.js";

export async function devices(page) {
  page.append(card(
    "Devices",
    h("p", {}, "Devices register themselves through the app APIs. Listing them here comes with the push service."),
  ));
}

export async function compose(page) {
  page.append(card(
    "Push notifications",
    h("p", {}, "Composing and sending push notifications, with live delivery status and counts, comes with the push service."),
  ));
}
