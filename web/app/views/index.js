// Every page of the dashboard. A new view is one module exporting
//   view = { path, title, nav?: { label, order }, roles?: [...], component }
// and one line here; the shell builds its navigation and routes from this list.
import { view as overview } from "./overview.js";
import { view as station } from "./station.js";
import { view as sessions } from "./sessions.js";
import { view as session } from "./session.js";

export const VIEWS = [overview, station, sessions, session];
