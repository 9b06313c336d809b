// Maps the tsconfig "@app/<lib>" aliases for jest, so tests resolve libs exactly as the build does.
const { compilerOptions } = require('../tsconfig.json');

function pathsToModuleNameMapper() {
  const mapper = {};
  for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
    mapper[`^${alias.replace('/', '\\/')}$`] = `<rootDir>/${target}`;
  }
  return mapper;
}

module.exports = { pathsToModuleNameMapper };
