import { Col, Row } from 'antd';
import { Children, type ReactNode } from 'react';

/** Two form fields side by side, each half the card's width (labels wrap inside their half). */
export function Pair({ children }: { children: ReactNode }) {
  return (
    <Row gutter={12}>
      {Children.toArray(children).map((c, i) => (
        <Col span={12} key={i}>
          {c}
        </Col>
      ))}
    </Row>
  );
}
