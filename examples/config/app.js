/**
 * The app of the config example (see tricorn.config.js next to it): a fetch
 * app answering with the GREETING the config file sets through `raw_env`.
 */
import process from "node:process";

export default {
  fetch() {
    return new Response(`${process.env.GREETING ?? "GREETING is not set"}\n`, {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
};
