/**
 * Serverless creates its shared `IamRoleLambdaExecution` role for every service, and
 * serverless-iam-roles-per-function copies it into one role per function but leaves it in the
 * template, unused: a role nobody assumes is still one more principal to audit. This plugin removes
 * it just before the template is saved, and only when nothing in the template refers to it.
 */
'use strict';

const ROLE = 'IamRoleLambdaExecution';

function refersTo(value, id) {
  if (Array.isArray(value)) return value.some((v) => refersTo(v, id));
  if (value === null || typeof value !== 'object') return false;
  if (value.Ref === id) return true;
  const getAtt = value['Fn::GetAtt'];
  if ((Array.isArray(getAtt) && getAtt[0] === id) || getAtt === `${id}.Arn`) return true;
  if (typeof value['Fn::Sub'] === 'string' && value['Fn::Sub'].includes(`\${${id}`)) return true;
  return Object.values(value).some((v) => refersTo(v, id));
}

class DropUnusedDefaultRole {
  constructor(serverless) {
    this.hooks = {
      'before:aws:package:finalize:saveServiceState': () => {
        const template = serverless.service.provider.compiledCloudFormationTemplate;
        if (!template.Resources[ROLE]) return;
        const { [ROLE]: _role, ...others } = template.Resources;
        const dependsOn = (r) => [r.DependsOn ?? []].flat().includes(ROLE);
        if (Object.values(others).some((r) => refersTo(r, ROLE) || dependsOn(r))) return;
        if (refersTo(template.Outputs ?? {}, ROLE)) return;
        delete template.Resources[ROLE];
      },
    };
  }
}

module.exports = DropUnusedDefaultRole;
