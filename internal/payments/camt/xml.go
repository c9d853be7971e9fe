package camt

import "encoding/xml"

// The raw XML shapes, one for every version: element names are matched
// by local name (the namespace was checked on the root), optional
// elements are pointers so that absent and empty differ.

type xDoc struct {
	XMLName xml.Name
	Stmt    *xMsg `xml:"BkToCstmrStmt"`
	Ntfctn  *xMsg `xml:"BkToCstmrDbtCdtNtfctn"`
}

type xMsg struct {
	GrpHdr  *xGrpHdr `xml:"GrpHdr"`
	Stmts   []xStmt  `xml:"Stmt"`
	Ntfctns []xStmt  `xml:"Ntfctn"`
}

type xGrpHdr struct {
	MsgID       *string `xml:"MsgId"`
	CreDtTm     *string `xml:"CreDtTm"`
	MsgRcpt     *xParty `xml:"MsgRcpt"`
	MsgPgntn    *xPage  `xml:"MsgPgntn"`
	OrgnlBizQry *struct {
		MsgID   *string `xml:"MsgId"`
		MsgNmID *string `xml:"MsgNmId"`
		CreDtTm *string `xml:"CreDtTm"`
	} `xml:"OrgnlBizQry"`
	AddtlInf *string `xml:"AddtlInf"`
}

type xPage struct {
	PgNb      *string `xml:"PgNb"`
	LastPgInd *string `xml:"LastPgInd"`
}

type xStmt struct {
	ID           *string `xml:"Id"`
	StmtPgntn    *xPage  `xml:"StmtPgntn"`
	NtfctnPgntn  *xPage  `xml:"NtfctnPgntn"`
	ElctrncSeqNb *string `xml:"ElctrncSeqNb"`
	LglSeqNb     *string `xml:"LglSeqNb"`
	CreDtTm      *string `xml:"CreDtTm"`
	FrToDt       *struct {
		FrDtTm *string `xml:"FrDtTm"`
		ToDtTm *string `xml:"ToDtTm"`
	} `xml:"FrToDt"`
	CpyDplctInd    *string  `xml:"CpyDplctInd"`
	Acct           *xAcct   `xml:"Acct"`
	Bal            []xBal   `xml:"Bal"`
	Ntry           []*xNtry `xml:"Ntry"`
	AddtlStmtInf   *string  `xml:"AddtlStmtInf"`
	AddtlNtfctnInf *string  `xml:"AddtlNtfctnInf"`
}

type xAcct struct {
	ID *struct {
		IBAN *string `xml:"IBAN"`
		Othr *struct {
			ID *string `xml:"Id"`
		} `xml:"Othr"`
	} `xml:"Id"`
	Ccy  *string `xml:"Ccy"`
	Nm   *string `xml:"Nm"`
	Ownr *struct {
		Nm *string `xml:"Nm"`
	} `xml:"Ownr"`
	Svcr *xAgent `xml:"Svcr"`
}

type xAmt struct {
	Ccy   *string `xml:"Ccy,attr"`
	Value string  `xml:",chardata"`
}

type xCdOrPrtry struct {
	Cd    *string `xml:"Cd"`
	Prtry *string `xml:"Prtry"`
}

type xDate struct {
	Dt   *string `xml:"Dt"`
	DtTm *string `xml:"DtTm"`
}

type xBal struct {
	Tp *struct {
		CdOrPrtry *xCdOrPrtry `xml:"CdOrPrtry"`
	} `xml:"Tp"`
	Amt       *xAmt   `xml:"Amt"`
	CdtDbtInd *string `xml:"CdtDbtInd"`
	Dt        *xDate  `xml:"Dt"`
}

// xSts is the entry status: text in versions 02–04, a Cd/Prtry choice
// from version 06 on.
type xSts struct {
	Text  string  `xml:",chardata"`
	Cd    *string `xml:"Cd"`
	Prtry *string `xml:"Prtry"`
}

type xBTC struct {
	Domn *struct {
		Cd   *string `xml:"Cd"`
		Fmly *struct {
			Cd        *string `xml:"Cd"`
			SubFmlyCd *string `xml:"SubFmlyCd"`
		} `xml:"Fmly"`
	} `xml:"Domn"`
	Prtry *struct {
		Cd   *string `xml:"Cd"`
		Issr *string `xml:"Issr"`
	} `xml:"Prtry"`
}

type xNtry struct {
	NtryRef     *string `xml:"NtryRef"`
	Amt         *xAmt   `xml:"Amt"`
	CdtDbtInd   *string `xml:"CdtDbtInd"`
	RvslInd     *string `xml:"RvslInd"`
	Sts         *xSts   `xml:"Sts"`
	BookgDt     *xDate  `xml:"BookgDt"`
	ValDt       *xDate  `xml:"ValDt"`
	AcctSvcrRef *string `xml:"AcctSvcrRef"`
	BkTxCd      *xBTC   `xml:"BkTxCd"`
	NtryDtls    []struct {
		Btch   []xBtch `xml:"Btch"`
		TxDtls []xTx   `xml:"TxDtls"`
	} `xml:"NtryDtls"`
	AddtlNtryInf *string `xml:"AddtlNtryInf"`
}

type xBtch struct {
	MsgID     *string `xml:"MsgId"`
	PmtInfID  *string `xml:"PmtInfId"`
	NbOfTxs   *string `xml:"NbOfTxs"`
	TtlAmt    *xAmt   `xml:"TtlAmt"`
	CdtDbtInd *string `xml:"CdtDbtInd"`
}

type xRefs struct {
	MsgID             *string `xml:"MsgId"`
	AcctSvcrRef       *string `xml:"AcctSvcrRef"`
	PmtInfID          *string `xml:"PmtInfId"`
	InstrID           *string `xml:"InstrId"`
	EndToEndID        *string `xml:"EndToEndId"`
	UETR              *string `xml:"UETR"`
	TxID              *string `xml:"TxId"`
	MndtID            *string `xml:"MndtId"`
	ChqNb             *string `xml:"ChqNb"`
	ClrSysRef         *string `xml:"ClrSysRef"`
	AcctOwnrTxID      *string `xml:"AcctOwnrTxId"`
	AcctSvcrTxID      *string `xml:"AcctSvcrTxId"`
	MktInfrstrctrTxID *string `xml:"MktInfrstrctrTxId"`
	PrcgID            *string `xml:"PrcgId"`
	Prtry             []struct {
		Tp  *string `xml:"Tp"`
		Ref *string `xml:"Ref"`
	} `xml:"Prtry"`
}

type xAmtDtl struct {
	Amt *xAmt `xml:"Amt"`
}

type xTx struct {
	Refs      *xRefs  `xml:"Refs"`
	Amt       *xAmt   `xml:"Amt"`
	CdtDbtInd *string `xml:"CdtDbtInd"`
	AmtDtls   *struct {
		InstdAmt *xAmtDtl `xml:"InstdAmt"`
		TxAmt    *xAmtDtl `xml:"TxAmt"`
	} `xml:"AmtDtls"`
	BkTxCd    *xBTC `xml:"BkTxCd"`
	RltdPties *struct {
		InitgPty  *xParty `xml:"InitgPty"`
		Dbtr      *xParty `xml:"Dbtr"`
		DbtrAcct  *xAcct  `xml:"DbtrAcct"`
		UltmtDbtr *xParty `xml:"UltmtDbtr"`
		Cdtr      *xParty `xml:"Cdtr"`
		CdtrAcct  *xAcct  `xml:"CdtrAcct"`
		UltmtCdtr *xParty `xml:"UltmtCdtr"`
	} `xml:"RltdPties"`
	RltdAgts *struct {
		DbtrAgt    *xAgent `xml:"DbtrAgt"`
		CdtrAgt    *xAgent `xml:"CdtrAgt"`
		IntrmyAgt1 *xAgent `xml:"IntrmyAgt1"`
		IntrmyAgt2 *xAgent `xml:"IntrmyAgt2"`
		IntrmyAgt3 *xAgent `xml:"IntrmyAgt3"`
	} `xml:"RltdAgts"`
	RmtInf *struct {
		Ustrd []string `xml:"Ustrd"`
		Strd  []struct {
			CdtrRefInf *struct {
				Tp *struct {
					CdOrPrtry *xCdOrPrtry `xml:"CdOrPrtry"`
					Issr      *string     `xml:"Issr"`
				} `xml:"Tp"`
				Ref *string `xml:"Ref"`
			} `xml:"CdtrRefInf"`
			AddtlRmtInf []string `xml:"AddtlRmtInf"`
		} `xml:"Strd"`
	} `xml:"RmtInf"`
	AddtlTxInf *string `xml:"AddtlTxInf"`
	RtrInf     *struct {
		Rsn *xCdOrPrtry `xml:"Rsn"`
	} `xml:"RtrInf"`
}

type xAddr struct {
	Dept        *string  `xml:"Dept"`
	SubDept     *string  `xml:"SubDept"`
	StrtNm      *string  `xml:"StrtNm"`
	BldgNb      *string  `xml:"BldgNb"`
	PstCd       *string  `xml:"PstCd"`
	TwnNm       *string  `xml:"TwnNm"`
	CtrySubDvsn *string  `xml:"CtrySubDvsn"`
	Ctry        *string  `xml:"Ctry"`
	AdrLine     []string `xml:"AdrLine"`
}

type xOthr struct {
	ID      *string     `xml:"Id"`
	SchmeNm *xCdOrPrtry `xml:"SchmeNm"`
	Issr    *string     `xml:"Issr"`
}

type xParty struct {
	Nm      *string `xml:"Nm"`
	PstlAdr *xAddr  `xml:"PstlAdr"`
	ID      *struct {
		OrgID *struct {
			BICOrBEI *string `xml:"BICOrBEI"`
			AnyBIC   *string `xml:"AnyBIC"`
			Othr     []xOthr `xml:"Othr"`
		} `xml:"OrgId"`
		PrvtID *struct {
			DtAndPlcOfBirth *struct {
				BirthDt     *string `xml:"BirthDt"`
				PrvcOfBirth *string `xml:"PrvcOfBirth"`
				CityOfBirth *string `xml:"CityOfBirth"`
				CtryOfBirth *string `xml:"CtryOfBirth"`
			} `xml:"DtAndPlcOfBirth"`
			Othr []xOthr `xml:"Othr"`
		} `xml:"PrvtId"`
	} `xml:"Id"`
	CtryOfRes *string `xml:"CtryOfRes"`
	// Version 08 wraps the party in a Pty/Agt choice.
	Pty *xParty `xml:"Pty"`
	Agt *xAgent `xml:"Agt"`
}

type xAgent struct {
	FinInstnID *struct {
		BIC         *string `xml:"BIC"`
		BICFI       *string `xml:"BICFI"`
		Nm          *string `xml:"Nm"`
		PstlAdr     *xAddr  `xml:"PstlAdr"`
		ClrSysMmbID *struct {
			ClrSysID *xCdOrPrtry `xml:"ClrSysId"`
			MmbID    *string     `xml:"MmbId"`
		} `xml:"ClrSysMmbId"`
	} `xml:"FinInstnId"`
}
