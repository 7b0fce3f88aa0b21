/**
 * Configs with a bad sink, for the tests of loading the config and of the commands: core's schema
 * checks every sink rule, so each one fails with core's ConfigError naming `key`.
 */
export const BAD_SINK_CONFIGS = [
  {
    what: "a sink name with a space",
    yaml: "notifier:\n  sinks:\n    - name: a b\n      type: slack\n      url: https://hooks.example/x\n",
    key: "notifier.sinks[0].name",
  },
  {
    what: "a webhook sink without a secret",
    yaml: "notifier:\n  sinks:\n    - name: hook\n      type: webhook\n      url: https://hooks.example/x\n",
    key: "notifier.sinks[0].secret",
  },
  {
    what: "an unknown placeholder in the commit URL template",
    yaml: "notifier:\n  commitUrlTemplate: https://git.example/commit/{nope}\n",
    key: "notifier.commitUrlTemplate",
  },
] as const;
