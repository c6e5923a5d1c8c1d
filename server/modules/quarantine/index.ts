export { QuarantineService } from './quarantine.service';
export { registerQuarantineRoutes } from './quarantine.routes';
