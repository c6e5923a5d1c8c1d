export { LocalDeliveryService, type Delivered, type LocalDelivery } from './local-delivery.service';
