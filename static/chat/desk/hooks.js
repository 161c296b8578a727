/* The feature modules of the desk (waiting list, chat panels, log,
 * composer, transfer, wrap-up, alerts …) call each other through `hooks`:
 * main.js puts every function they export here before the socket opens.
 * So they import only base modules, and the import graph stays acyclic and
 * shallow: the manifest storage hashes a module after the ones it imports,
 * in a limited number of passes (collectstatic). */
export var hooks = {};
