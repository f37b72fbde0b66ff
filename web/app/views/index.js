// Every page of the dashboard. A new view is one module exporting
//   view = { path, title, nav?: { label, order }, roles?: [...], component }
// (or `views`, a list of them) and one line here; the shell builds its navigation and routes from this
// list, showing each role only the views whose `roles` name it. Order matters where paths overlap.
import { view as overview } from "./overview.js";
import { view as station } from "./station.js";
import { view as sessions } from "./sessions.js";
import { view as session } from "./session.js";
import { view as sites } from "./sites.js";
import { view as site } from "./site.js";
import { view as revenue } from "./revenue.js";
import { view as alerts } from "./alerts.js";
import { views as campaigns } from "./campaigns.js";
import { views as onboarding } from "./onboarding.js";
import { view as drivers } from "./drivers.js";
import { views as invoices } from "./invoices.js";

export const VIEWS = [overview, station, sessions, session, sites, site, revenue, alerts, ...campaigns, ...onboarding, drivers, ...invoices];
