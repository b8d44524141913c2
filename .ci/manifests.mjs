// CI checks of the Kubernetes manifests, run by .ci/run with the npm packages it installs beside this file:
//   node manifests.mjs validate RENDERED.yaml...   every object against the Kubernetes / Prometheus Operator
//                                                  JSON schemas (kubernetes-models); unknown kinds fail
//   node manifests.mjs rules PROMETHEUSRULE OUT    writes the PrometheusRule's spec as a Prometheus rule file
//                                                  (what promtool check/test rules read)
import { readFileSync, writeFileSync } from "node:fs";
import { parseAllDocuments, parse, stringify } from "yaml";

const [command, ...args] = process.argv.slice(2);

/** The module of a kind's model: core/v1, a named group, or the Prometheus Operator's. */
function modelModule(apiVersion, kind) {
  if (apiVersion === "v1") return `kubernetes-models/v1/${kind}`;
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

async function validate(files) {
  let objects = 0;
  const problems = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      if (doc.errors.length) {
        problems.push(`${file}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
        continue;
      }
      const obj = doc.toJS();
      if (obj == null) continue;
      const what = `${file}: ${obj.kind} ${obj.metadata?.name}`;
      let Model;
      try {
        const mod = await import(modelModule(obj.apiVersion, obj.kind));
        Model = mod[obj.kind];
      } catch (e) {
        problems.push(`${what}: no schema for ${obj.apiVersion} ${obj.kind}`);
        continue;
      }
      try {
        new Model(obj).validate();
        objects++;
      } catch (e) {
        problems.push(`${what}: ${e.message}`);
      }
    }
  }
  if (problems.length) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  console.log(`${objects} objects valid in ${files.length} rendered kustomizations`);
}

function rules(prometheusRule, out) {
  const rule = parse(readFileSync(prometheusRule, "utf8"));
  if (rule.kind !== "PrometheusRule" || !rule.spec?.groups) {
    console.error(`${prometheusRule}: not a PrometheusRule with spec.groups`);
    process.exit(1);
  }
  writeFileSync(out, stringify({ groups: rule.spec.groups }));
}

if (command === "validate") await validate(args);
else if (command === "rules") rules(args[0], args[1]);
else {
  console.error("usage: manifests.mjs validate FILE... | rules PROMETHEUSRULE OUT");
  process.exit(2);
}
