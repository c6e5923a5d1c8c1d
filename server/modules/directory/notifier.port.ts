/** A short notice to people in the workplace app (a DingTalk work notification today). */
export interface Notice {
  title: string;
  body: string;
  /** Where tapping the notice leads (a page of our app). */
  url?: string;
  author?: string;
  /** Label/value rows shown under the title (at most 6 are shown). */
  fields?: { label: string; value: string }[];
}

/** The platform side: delivers one notice to people named by their platform ids. */
export interface NoticeChannel {
  send(tenantId: string, externalIds: string[], notice: Notice): Promise<void>;
}
