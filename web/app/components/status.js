// Badges and the one definition of a station's state on every page.
import { html } from "../lib.js";

export const STATES = ["online", "reconnecting", "offline", "faulted"];

/**
 * One state per station, so the overview's counts add up: not connected → its connectivity
 * (reconnecting inside the grace period, else offline); connected with the station or a connector
 * reporting Faulted → faulted; else online.
 */
export function stationState(station) {
  if (station.connectivity !== "online") return station.connectivity;
  const connectors = (station.evses || []).flatMap((evse) => evse.connectors);
  const faulted = station.status === "Faulted" || connectors.some((connector) => connector.status === "Faulted");
  return faulted ? "faulted" : "online";
}

export function Badge({ value, title }) {
  const text = value === null || value === undefined || value === "" ? "—" : String(value);
  // The class only picks a colour: letters only, whatever the API sent.
  return html`<span class=${`badge ${text.replace(/[^A-Za-z]/g, "")}`} title=${title}>${text}</span>`;
}
