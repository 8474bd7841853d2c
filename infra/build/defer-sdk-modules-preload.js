// @ts-check
/** `node --require <this file> ...`: `defer-sdk-modules.js` in a process the project spawns (the policy pack's analyzer). */
"use strict";
require("./defer-sdk-modules").deferSdkModules();
