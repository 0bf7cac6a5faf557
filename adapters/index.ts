/** Public entry of the adapters: app interface detection and the two adapters. */
export { createHandler, detectInterface, type AppInterface, type HandlerOptions } from "./detect.ts";
export { fetchHandler, headerList, sendResponse, type ExecutionContext, type FetchApp, type FetchFunction, type FetchOptions, type ServeInfo } from "./fetch.ts";
export { gatewayHandler, parseStatus, toHeaderList, type GatewayApp, type GatewayBody, type GatewayChunk, type GatewayHeaders, type GatewayOptions, type GatewayWrite, type StartResponse } from "./gateway.ts";
export { LightRequest, requestUrl } from "./request.ts";
