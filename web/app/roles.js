// Which roles see which views (each view's `roles`), and which see an action inside one. The app only
// chooses what to show: the API decides what each token may read and change, and scopes what it
// answers to the token's sites (claim site_ids) or account (claim account_id).

/** The operator's own staff: the network views. */
export const OPERATIONS = ["admin", "operator", "viewer"];
/** Who may change things (register stations, send commands, acknowledge alerts). */
export const WRITERS = ["admin", "operator"];
export const PROPERTY_OWNER = "property_owner";
export const ENERGY_PROVIDER = "energy_provider";
export const FLEET_MANAGER = "fleet_manager";
export const DRIVER = "driver";

/** Sites: the operator's staff, and the hosts and suppliers of some of them. */
export const SITE_ROLES = [...OPERATIONS, PROPERTY_OWNER, ENERGY_PROVIDER];
/** The allocator's runs and the grid signals of a site. */
export const LOAD_ROLES = [...OPERATIONS, ENERGY_PROVIDER];
/** Who may post a grid signal (the energy provider for its sites, once the API grants it). */
export const SIGNAL_WRITERS = [...WRITERS, ENERGY_PROVIDER];
export const REVENUE_ROLES = [...OPERATIONS, PROPERTY_OWNER];
/** Sessions and invoices: the operator's staff, a fleet manager (its account's) and a driver (its own). */
export const ACCOUNT_ROLES = [...OPERATIONS, FLEET_MANAGER, DRIVER];
export const DRIVER_ROLES = [...OPERATIONS, FLEET_MANAGER];

export function hasRole(user, roles) {
  return Boolean(user) && roles.some((role) => user.roles.includes(role));
}
