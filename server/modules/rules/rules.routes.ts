import { IdParams } from '../../../shared/common';
import {
  ApplyRuleAccepted,
  ApplyRuleBody,
  PatchRuleBody,
  PreviewRuleBody,
  ReorderRulesBody,
  RuleDto,
  RuleDtoList,
  RulePreviewDto,
  SaveOrgRuleBody,
  SaveRuleBody,
  SieveExportDto,
  SieveImportBody,
  SieveImportDto,
} from '../../../shared/rules/api';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { ApplyRulesJob } from './apply-rules.job';
import type { OrgRulesService } from './org-rules.service';
import type { RulePreviewService } from './rule-preview.service';
import type { RulesService } from './rules.service';

export interface RuleRouteDeps {
  rules: RulesService;
  orgRules: OrgRulesService;
  preview: RulePreviewService;
  apply: ApplyRulesJob;
}

export function registerRuleRoutes(api: ApiRegistry, d: RuleRouteDeps): void {
  const tag = 'rules';
  const me = {};

  api.route(
    {
      method: 'get',
      path: '/rules',
      summary: 'My rules, after the organization rules that apply to me (those are read-only)',
      tag,
      auth: me,
      response: RuleDtoList,
    },
    async ({ actor }) => ({ rules: await d.rules.list(actor) }),
  );
  api.route(
    {
      method: 'post',
      path: '/rules',
      summary: 'Add a rule (appended last); a runaway regular expression is refused with 400',
      tag,
      auth: me,
      body: SaveRuleBody,
      response: RuleDto,
      status: 201,
    },
    ({ actor, body }) => d.rules.create(actor, body),
  );
  api.route(
    {
      method: 'post',
      path: '/rules/reorder',
      summary: 'Reorder my rules: ids lists every one of them in the new order',
      tag,
      auth: me,
      body: ReorderRulesBody,
      response: RuleDtoList,
    },
    async ({ actor, body }) => ({ rules: await d.rules.reorder(actor, body.ids) }),
  );
  api.route(
    {
      method: 'post',
      path: '/rules/preview',
      summary: 'Which of my messages of the last 30 days a rule would match (count and the newest 20)',
      tag,
      auth: me,
      body: PreviewRuleBody,
      response: RulePreviewDto,
    },
    ({ actor, body }) => d.preview.preview(actor, body.definition),
  );
  api.route(
    {
      method: 'get',
      path: '/rules/sieve',
      summary: 'Export my rules as a Sieve script',
      tag,
      auth: me,
      response: SieveExportDto,
    },
    ({ actor }) => d.rules.exportSieve(actor),
  );
  api.route(
    {
      method: 'post',
      path: '/rules/sieve',
      summary:
        'Import a Sieve script as rules; reports every unsupported part by line (dryRun: create nothing)',
      tag,
      auth: me,
      body: SieveImportBody,
      response: SieveImportDto,
    },
    ({ actor, body }) => d.rules.importSieve(actor, body.script, body.dryRun),
  );
  api.route(
    {
      method: 'put',
      path: '/rules/:id',
      summary: 'Replace one of my rules',
      tag,
      auth: me,
      params: IdParams,
      body: SaveRuleBody,
      response: RuleDto,
    },
    ({ actor, params, body }) => d.rules.update(actor, params.id, body),
  );
  api.route(
    {
      method: 'patch',
      path: '/rules/:id',
      summary: 'Enable or disable one of my rules',
      tag,
      auth: me,
      params: IdParams,
      body: PatchRuleBody,
      response: RuleDto,
    },
    ({ actor, params, body }) => d.rules.setEnabled(actor, params.id, body.enabled),
  );
  api.route(
    {
      method: 'delete',
      path: '/rules/:id',
      summary: 'Delete one of my rules',
      tag,
      auth: me,
      params: IdParams,
      response: null,
    },
    ({ actor, params }) => d.rules.remove(actor, params.id),
  );
  api.route(
    {
      method: 'post',
      path: '/rules/:id/apply',
      summary:
        'Apply a rule to mail I already have, in the background (GET /jobs/:runId); only filing actions run',
      tag,
      auth: me,
      params: IdParams,
      body: ApplyRuleBody,
      response: ApplyRuleAccepted,
      status: 202,
    },
    ({ actor, params, body }) => d.apply.start(actor, params.id, body.folderId),
  );

  // ---- organization rules (admin console)
  const admin = { roles: ['admin' as const] };
  api.route(
    {
      method: 'get',
      path: '/admin/rules',
      summary: 'Organization rules, with the departments they apply to',
      tag,
      auth: { roles: ['admin', 'auditor'] },
      response: RuleDtoList,
    },
    async ({ actor }) => ({ rules: await d.orgRules.list(actor) }),
  );
  api.route(
    {
      method: 'post',
      path: '/admin/rules',
      summary: 'Add an organization rule for departments (incl. sub-departments); runs before personal rules',
      tag,
      auth: admin,
      body: SaveOrgRuleBody,
      response: RuleDto,
      status: 201,
    },
    ({ actor, body, ctx }) => d.orgRules.create(actor, body, ctx),
  );
  api.route(
    {
      method: 'put',
      path: '/admin/rules/:id',
      summary: 'Replace an organization rule',
      tag,
      auth: admin,
      params: IdParams,
      body: SaveOrgRuleBody,
      response: RuleDto,
    },
    ({ actor, params, body, ctx }) => d.orgRules.update(actor, params.id, body, ctx),
  );
  api.route(
    {
      method: 'patch',
      path: '/admin/rules/:id',
      summary: 'Enable or disable an organization rule',
      tag,
      auth: admin,
      params: IdParams,
      body: PatchRuleBody,
      response: RuleDto,
    },
    ({ actor, params, body, ctx }) => d.orgRules.setEnabled(actor, params.id, body.enabled, ctx),
  );
  api.route(
    {
      method: 'delete',
      path: '/admin/rules/:id',
      summary: 'Delete an organization rule',
      tag,
      auth: admin,
      params: IdParams,
      response: null,
    },
    ({ actor, params, ctx }) => d.orgRules.remove(actor, params.id, ctx),
  );
}
