// glassbrain: the district operations hub.
//   serve   the hub on a store
//   demo    the demo district on a fresh store, with simulated traffic
//   user / token   staff accounts and machine tokens (cli/account_commands.h)
//   import / export   areas and cameras as GeoJSON (or a whole district directory)
//   purge   delete data past its retention
//   backup / restore   a consistent copy of a SQLite store and its evidence, and back
//   audit verify   walk the audit log's hash chain
//   edge    the edge agent: camera video in, anonymized events out (src/edge)
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "api/auth/accounts.h"
#include "api/auth/crypto.h"
#include "cli/account_commands.h"
#include "cli/backup.h"
#include "cli/command_support.h"
#include "cli/config.h"
#include "cli/hub.h"
#include "privacy/retention/retention.h"
#include "cli/simulator.h"
#include "core/data_dir.h"
#include "district/codec.h"
#include "district/persist.h"
#include "edge/command.h"
#include "store/audit_chain.h"

namespace gb {
namespace {

// The pages and the demo district: installed beside the binary, or in the checkout it was
// built from (core/data_dir.h has the order); paths.web_dir and --district override them.
const std::string kDefaultWebDir = DataPath("web", GLASSBRAIN_SOURCE_DIR "/web/dist");
const std::string kDefaultDistrictDir = DataPath("demo", GLASSBRAIN_SOURCE_DIR "/data/demo");

int Serve(HubOptions options) {
  Status exists = StoreExists(options.store_url);
  if (!exists.ok()) return Fail(exists);
  auto hub = Hub::Open(std::move(options));
  if (!hub.ok()) return Fail(hub.status());
  Status s = (*hub)->Listen();
  if (!s.ok()) return Fail(s);
  (*hub)->Run();
  return 0;
}

int Demo(HubOptions options, std::string data_dir, const std::string& district_dir, bool simulate) {
  if (data_dir.empty()) {
    char tmpl[] = "/tmp/glassbrain-demo-XXXXXX";
    if (!mkdtemp(tmpl)) return Fail(Status::Internal("cannot create a temporary directory"));
    data_dir = tmpl;
  }
  std::filesystem::create_directories(data_dir);
  options.store_url = "sqlite:" + data_dir + "/glassbrain.db";
  auto store = OpenCommandStore(options.store_url, IfMissing::kCreate);
  if (!store.ok()) return Fail(store.status());
  bool fresh = !LoadDistrictFromStore(**store).ok();
  std::vector<std::pair<std::string, Role>> accounts = {{"admin", Role::kAdmin},
                                                        {"dispatcher", Role::kDispatcher},
                                                        {"crew1", Role::kCrew},
                                                        {"crew2", Role::kCrew},
                                                        {"privacy", Role::kPrivacyOfficer},
                                                        {"auditor", Role::kAuditor}};
  if (fresh) {
    auto district = LoadDistrictDir(district_dir);
    if (!district.ok()) return Fail(district.status());
    Status s = ReplaceDistrict(**store, *district);
    if (!s.ok()) return Fail(s);
    std::cout << "Demo district \"" << district->name << "\" loaded into " << data_dir << "\n"
              << "Demo accounts (shown once; passwords are stored as argon2id hashes):\n";
    for (const auto& [name, role] : accounts) {
      std::string password = auth::RandomToken(12);
      s = auth::AddUser(**store, name, role, password, "demo");
      if (!s.ok()) return Fail(s);
      std::cout << "  " << name << " (" << RoleName(role) << "): " << password << "\n";
    }
    auto token = auth::CreateToken(**store, "demo-edge", Role::kEdge, "demo");
    if (!token.ok()) return Fail(token.status());
    std::cout << "  edge token (Authorization: Bearer …): " << *token << "\n";
  } else {
    std::cout << "Reusing the demo data in " << data_dir << " (accounts as printed when it was created)\n";
  }
  store->reset();
  const std::string host = options.server.host;
  auto hub = Hub::Open(std::move(options));
  if (!hub.ok()) return Fail(hub.status());
  Status s = (*hub)->Listen();
  if (!s.ok()) return Fail(s);
  std::cout << "Serving on " << PublicBaseUrlFor(host, (*hub)->port()) << "/  (Ctrl-C stops)"
            << std::endl;
  std::unique_ptr<Simulator> sim;
  if (simulate) {
    sim = std::make_unique<Simulator>((*hub)->incidents(), (*hub)->store(), (*hub)->catalog(), Env::Default(),
                                      std::vector<std::string>{"crew1", "crew2"});
    sim->Start();
  }
  (*hub)->Run();
  if (sim) sim->Stop();
  return 0;
}

int Import(const std::string& url, const std::string& file) {
  auto store = OpenCommandStore(url, IfMissing::kCreate);
  if (!store.ok()) return Fail(store.status());
  if (std::filesystem::is_directory(file)) {
    auto district = LoadDistrictDir(file);
    if (!district.ok()) return Fail(district.status());
    Status s = ReplaceDistrict(**store, *district);
    if (!s.ok()) return Fail(s);
    std::cout << "imported district \"" << district->name << "\": " << district->areas.size() << " areas, "
              << district->cameras.size() << " cameras, " << district->rules.size() << " routing rules\n";
    return 0;
  }
  auto current = LoadDistrictFromStore(**store);
  if (!current.ok())
    return Fail(Status::Invalid("the store has no district yet; import a district directory first (" +
                                current.status().message() + ")"));
  std::ifstream in(file);
  if (!in) return Fail(Status::Invalid("cannot read " + file));
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded()) return Fail(Status::Invalid(file + " is not valid JSON"));
  auto parsed = ParseFeatureCollection(doc);
  if (!parsed.ok()) return Fail(Status::Invalid(file + ": " + parsed.status().message()));
  District next = std::move(*current);
  auto upsert = [](auto& list, auto item) {
    for (auto& x : list)
      if (x.id == item.id) {
        x = std::move(item);
        return;
      }
    list.push_back(std::move(item));
  };
  for (auto& a : parsed->first) upsert(next.areas, std::move(a));
  for (auto& c : parsed->second) upsert(next.cameras, std::move(c));
  Status s = ValidateDistrict(next);
  if (s.ok()) s = ReplaceDistrict(**store, next);
  if (!s.ok()) return Fail(s);
  std::cout << "imported " << parsed->first.size() << " areas and " << parsed->second.size() << " cameras\n";
  return 0;
}

int Export(const std::string& url, const std::string& file) {
  auto store = OpenCommandStore(url);
  if (!store.ok()) return Fail(store.status());
  auto district = LoadDistrictFromStore(**store);
  if (!district.ok()) return Fail(district.status());
  std::string text = ToFeatureCollection(district->areas, district->cameras).dump(1) + "\n";
  Status s = Env::Default()->WriteFileDurable(file, text);
  if (!s.ok()) return Fail(s);
  std::cout << "exported " << district->areas.size() << " areas and " << district->cameras.size() << " cameras to "
            << file << "\n";
  return 0;
}

int Purge(const std::string& url, const std::string& evidence_dir) {
  auto store = OpenCommandStore(url);
  if (!store.ok()) return Fail(store.status());
  auto district = LoadDistrictFromStore(**store);
  if (!district.ok()) return Fail(district.status());
  auto r = PurgeExpired(**store, *district, evidence_dir.empty() ? DefaultEvidenceDir(url) : evidence_dir,
                        Env::Default(), Env::Default()->NowMs());
  if (!r.ok()) return Fail(r.status());
  std::cout << "purged " << r->events << " events, " << r->incidents << " incidents, " << r->reports << " reports, "
            << r->audit << " audit entries, " << r->evidence_hashes.size() << " evidence image"
            << (r->evidence_hashes.size() == 1 ? "" : "s") << ", " << r->unrecorded_files
            << " evidence file" << (r->unrecorded_files == 1 ? "" : "s") << " no record named\n";
  return 0;
}

// Exit 0 when the chain holds (and holds `expected_head`, when given), 1 when it does not.
int VerifyAudit(const std::string& url, const std::string& expected_head) {
  auto store = OpenCommandStore(url);
  if (!store.ok()) return Fail(store.status());
  auto v = VerifyAuditChain(**store, expected_head.empty() ? std::nullopt : std::optional(expected_head));
  if (!v.ok()) {
    std::cerr << "glassbrain: the audit log does not verify: " << v.status().message() << "\n";
    return 1;
  }
  if (!v->head_found) {
    std::cerr << "glassbrain: the audit log verifies, but " << expected_head
              << " is not one of its hashes: the log before it was rewritten, or the hash was noted elsewhere\n";
    return 1;
  }
  std::cout << "audit log verified: " << v->checked << " stored entries chain from the anchor to the head "
            << v->head_hash << (expected_head.empty() ? "" : "; it includes " + expected_head) << "\n";
  return 0;
}

}  // namespace
}  // namespace gb

int main(int argc, char** argv) {
  using namespace gb;
  CLI::App app{"Glassbrain: the district operations hub. It watches situations, never people."};
  app.set_version_flag("--version", "glassbrain 0.1.0");
  app.require_subcommand(1);

  HubOptions options;
  options.web_dir = kDefaultWebDir;
  std::string listen = "127.0.0.1:8080", config_file;

  auto* serve = app.add_subcommand("serve", "Run the hub");
  serve->add_option("--listen", listen, "HOST:PORT to listen on")->capture_default_str();
  serve->add_option("--store", options.store_url, "Store URL, e.g. sqlite:/var/lib/glassbrain/hub.db");
  serve->add_option("--config", config_file, "TOML configuration file (see docs/config.md)")->check(CLI::ExistingFile);
  serve->add_option("--mqtt", options.mqtt.url, "Also take events from this MQTT broker, e.g. mqtt://127.0.0.1:1883");

  std::string data_dir, district_dir = kDefaultDistrictDir;
  bool no_simulate = false;
  auto* demo = app.add_subcommand("demo", "Serve the demo district with simulated traffic");
  demo->add_option("--listen", listen, "HOST:PORT to listen on")->capture_default_str();
  demo->add_option("--data-dir", data_dir, "Where the store and evidence go (default: a new temporary directory)");
  demo->add_option("--district", district_dir, "The district to load")->capture_default_str();
  demo->add_flag("--no-simulate", no_simulate, "Do not feed simulated events, readings and reports");
  demo->add_option("--config", config_file, "TOML configuration file, as for serve (its store is not used)")
      ->check(CLI::ExistingFile);

  AccountCommands accounts;
  AddAccountCommands(app, accounts);

  std::string store_url, file, evidence_dir;
  auto* import = app.add_subcommand("import", "Import areas and cameras (GeoJSON) or a whole district directory");
  import->add_option("--store", store_url, "Store URL")->required();
  import->add_option("file", file, "FILE.geojson or a district directory")->required();
  auto* exp = app.add_subcommand("export", "Export areas and cameras as GeoJSON");
  exp->add_option("--store", store_url, "Store URL")->required();
  exp->add_option("file", file, "FILE.geojson")->required();

  auto* purge = app.add_subcommand("purge", "Delete data past its retention, evidence files included");
  purge->add_option("--store", store_url, "Store URL")->required();
  purge->add_option("--evidence-dir", evidence_dir, "Evidence directory (default: next to the store)");

  auto* backup = app.add_subcommand("backup", "Copy a SQLite store and its evidence consistently, while a hub runs");
  backup->add_option("--store", store_url, "Store URL (sqlite:PATH)")->required();
  backup->add_option("--evidence-dir", evidence_dir, "Evidence directory (default: next to the store)");
  backup->add_option("file", file, "The new backup FILE; its evidence goes to FILE.evidence/")->required();
  RestoreOptions restore_options;
  auto* restore = app.add_subcommand("restore", "Replace a SQLite store and its evidence by a backup");
  restore->add_option("--store", restore_options.store_url, "Store URL (sqlite:PATH)")->required();
  restore->add_option("--evidence-dir", restore_options.evidence_dir, "Evidence directory (default: next to the store)");
  restore->add_flag("--force", restore_options.force, "Replace an existing store");
  restore->add_option("file", restore_options.file, "The backup FILE (with FILE.evidence/)")->required()
      ->check(CLI::ExistingFile);

  std::string expected_head;
  auto* audit = app.add_subcommand("audit", "Check the audit log");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand(
      "verify", "Walk the audit log's hash chain; name the first entry that does not match (exit 1)");
  audit_verify->add_option("--store", store_url, "Store URL")->required();
  audit_verify->add_option("--head", expected_head,
                           "A head hash noted earlier (GET /api/v1/public/audit-head): check that the chain holds it");

  edge::EdgeCommandArgs edge_args;
  auto* edge = edge::AddEdgeCommand(app, edge_args);

  // CLI11 takes an unknown word for a stray argument, and with --help beside it prints the
  // main help and exits 0: a mistyped command must fail instead.
  if (argc > 1 && argv[1][0] != '-') {
    const std::string command = argv[1];
    bool known = false;
    for (const auto* sub : app.get_subcommands({})) known = known || sub->check_name(command);
    if (!known) {
      std::cerr << "glassbrain: unknown command '" << command << "'; run glassbrain --help for the list\n";
      return 2;
    }
  }
  CLI11_PARSE(app, argc, argv);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");

  if (edge->parsed())
    return edge::RunEdgeCommand(edge_args, [](const edge::CameraConfig& c) { return edge::CameraAnalyzer::Create(c); });
  if (serve->parsed()) {
    if (!config_file.empty()) {
      const std::string store_flag = options.store_url;  // --store overrides store.url
      const std::string mqtt_flag = options.mqtt.url;    // --mqtt overrides mqtt.url
      Status s = LoadConfigFile(config_file, options);
      if (!s.ok()) return Fail(s);
      if (serve->count("--store")) options.store_url = store_flag;
      if (serve->count("--mqtt")) options.mqtt.url = mqtt_flag;
    }
    if (serve->count("--listen") || config_file.empty()) {
      Status s = ParseListen(listen, options);
      if (!s.ok()) return Fail(s);
    }
    if (options.store_url.empty()) return Fail(Status::Invalid("give --store sqlite:PATH (or store.url in the config)"));
    return Serve(options);
  }
  if (demo->parsed()) {
    if (!config_file.empty()) {
      Status s = LoadConfigFile(config_file, options);
      if (!s.ok()) return Fail(s);
      if (!options.store_url.empty() || !options.evidence_dir.empty())
        std::cout << "The demo keeps its store in its data directory; [store] of " << config_file
                  << " is not used\n";
      options.store_url.clear();
      options.evidence_dir.clear();
    }
    if (demo->count("--listen") || config_file.empty()) {
      Status s = ParseListen(listen, options);
      if (!s.ok()) return Fail(s);
    }
    if (!demo->count("--district") && !std::filesystem::is_directory(district_dir))
      return Fail(Status::NotFound("the demo district is not in " + DataOrigin() + " (no directory " + district_dir +
                                   "); give --district DIR"));
    return Demo(options, data_dir, district_dir, !no_simulate);
  }
  if (auto rc = RunIfParsed(accounts)) return *rc;
  if (import->parsed()) return Import(store_url, file);
  if (exp->parsed()) return Export(store_url, file);
  if (purge->parsed()) return Purge(store_url, evidence_dir);
  if (audit_verify->parsed()) return VerifyAudit(store_url, expected_head);
  if (backup->parsed()) {
    Status s = BackupStore(store_url, evidence_dir, file);
    return s.ok() ? 0 : Fail(s);
  }
  if (restore->parsed()) {
    Status s = RestoreStore(restore_options);
    return s.ok() ? 0 : Fail(s);
  }
  return 0;
}
